import Foundation

/// What the inode table knows of one inode the kernel holds.
struct InodeEntry {
    var node: Node
    /// Which use of its slot this is: part of the inode number, so numbers are not reused.
    var generation: UInt32
    /// Where the kernel last saw it: `name` in the directory `parent`.
    var parent: UInt64
    var name: String
    /// Kernel references (lookups, creates, readdirplus entries) not yet given back; 0 = free.
    var references: UInt64
    /// Index in its group's member list, when it has a group.
    var groupSlot: Int32
    /// `node`'s hash, kept for the node index (which rehashes without touching the nodes).
    var hash: UInt32

    static func free(generation: UInt32) -> InodeEntry {
        InodeEntry(node: .root, generation: generation, parent: 0, name: "", references: 0, groupSlot: -1, hash: 0)
    }
}

/// An inode number is a slot and that slot's generation: `generation << 32 | slot`. Slots are
/// reused, numbers are not, and finding an inode's entry is an array index, not a hash lookup.
enum InodeNumber {
    static func make(slot: UInt32, generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(slot)
    }

    static func slot(of ino: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ino) }
    static func generation(of ino: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ino >> 32) }
}

/// The inode table's entries, in chunks of `chunkSize` slots. A chunk is allocated when a slot
/// in it is first needed and freed when its last entry is: after the kernel forgets a big browse
/// (800,000 entries), the memory goes back. Slots are handed out lowest chunk first, so the
/// entries still held gather in few chunks.
/// Not thread-safe: the inode table locks around it.
struct InodeSlots {
    static let chunkSize = 4096

    private final class Chunk {
        var entries: ContiguousArray<InodeEntry>
        /// Free slots, as offsets in the chunk: the last is taken next.
        var free: [UInt16]
        var live = 0
        /// Highest generation any slot in the chunk has had.
        var highestGeneration: UInt32

        init(generation: UInt32, reserving reserved: Int) {
            entries = ContiguousArray(repeating: .free(generation: generation), count: InodeSlots.chunkSize)
            free = (reserved..<InodeSlots.chunkSize).reversed().map { UInt16($0) }
            highestGeneration = generation
        }
    }

    private var chunks: [Chunk?] = []
    /// The generation a chunk's slots start at when it is allocated again: above any it had.
    private var startGenerations: [UInt32] = []
    /// No chunk below this one has a free slot.
    private var lowestWithRoom = 0
    private(set) var count = 0

    /// Slots the allocated chunks hold (for tests: memory follows what the kernel holds).
    var capacity: Int { chunks.reduce(0) { $0 + ($1 == nil ? 0 : Self.chunkSize) } }

    /// Takes a free slot for `entry` (whose generation is set here); returns its inode number.
    /// Slot 0 is never used: inode number 0 means "none" to the kernel.
    mutating func insert(_ entry: InodeEntry) -> UInt64 {
        while lowestWithRoom < chunks.count, let chunk = chunks[lowestWithRoom], chunk.free.isEmpty {
            lowestWithRoom += 1
        }
        let index = lowestWithRoom
        if index == chunks.count {
            chunks.append(nil)
            startGenerations.append(0)
        }
        let chunk: Chunk
        if let existing = chunks[index] {
            chunk = existing
        } else {
            chunk = Chunk(generation: startGenerations[index], reserving: index == 0 ? 1 : 0)
            chunks[index] = chunk
        }
        let offset = Int(chunk.free.removeLast())
        var placed = entry
        placed.generation = chunk.entries[offset].generation
        chunk.entries[offset] = placed
        chunk.live += 1
        count += 1
        return InodeNumber.make(slot: UInt32(index * Self.chunkSize + offset), generation: placed.generation)
    }

    /// Where the live entry numbered `ino` is, if there is one.
    private func locate(_ ino: UInt64) -> (chunk: Chunk, offset: Int)? {
        let slot = Int(InodeNumber.slot(of: ino))
        let index = slot / Self.chunkSize, offset = slot % Self.chunkSize
        guard index < chunks.count, let chunk = chunks[index] else { return nil }
        let entry = chunk.entries[offset]
        guard entry.references > 0, entry.generation == InodeNumber.generation(of: ino) else { return nil }
        return (chunk, offset)
    }

    subscript(ino: UInt64) -> InodeEntry? {
        guard let (chunk, offset) = locate(ino) else { return nil }
        return chunk.entries[offset]
    }

    /// Changes the live entry numbered `ino` in place; false if there is none.
    @discardableResult
    func update(_ ino: UInt64, _ change: (inout InodeEntry) -> Void) -> Bool {
        guard let (chunk, offset) = locate(ino) else { return false }
        change(&chunk.entries[offset])
        return true
    }

    /// The live entry in `slot`, whatever its generation (for the node index).
    func entry(inSlot slot: UInt32) -> InodeEntry {
        let index = Int(slot) / Self.chunkSize
        return chunks[index]!.entries[Int(slot) % Self.chunkSize]
    }

    /// Frees the entry numbered `ino`; its slot's next use gets a higher generation.
    mutating func remove(_ ino: UInt64) {
        guard let (chunk, offset) = locate(ino) else { return }
        let next = chunk.entries[offset].generation &+ 1
        chunk.entries[offset] = .free(generation: next)
        chunk.highestGeneration = max(chunk.highestGeneration, next)
        let index = Int(InodeNumber.slot(of: ino)) / Self.chunkSize
        chunk.free.append(UInt16(offset))
        chunk.live -= 1
        count -= 1
        lowestWithRoom = min(lowestWithRoom, index)
        if chunk.live == 0, index > 0 {
            startGenerations[index] = chunk.highestGeneration &+ 1
            chunks[index] = nil
        }
    }
}
