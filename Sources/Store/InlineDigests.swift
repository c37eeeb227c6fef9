import Foundation
import PkgfsFormats

/// The digests of a byte stream, computed while it is written: SHA-1 and SHA-256 of the whole,
/// and, for an RPM, the digests it records over ranges that run to its end (payload digest,
/// legacy MD5), so that the analysis at close need not read the package back.
///
/// Each digest runs on a thread of its own (a "lane"): the writer copies a chunk once into a
/// reused buffer and returns (the FUSE reply goes out and `cp` sends the next chunk), while the
/// lanes hash that same copy. At most `maxPending` chunks wait: memory stays bounded whatever the
/// upload size. A small write with nothing pending (a whole small package, typically) is hashed
/// on the spot, where thread hand-offs would cost more than the hashing.
///
/// An RPM's range digests start once its lead, signature and main header have arrived (the
/// first bytes are kept until then, at most `maxHeadBytes`); they are added as lanes that hash
/// those first bytes from their own start, then every chunk after.
final class InlineDigests: @unchecked Sendable {
    // @unchecked: a lane's hasher is used on its queue, and inline only while no chunk is
    // pending (`pending == 0`, read under `lock`); `update`, `finalize` and `reset` are called
    // by one thread at a time (the upload session serializes them), and they alone change
    // `lanes`, `head` and `position`.
    private var lanes: [Lane] = []
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var pending = 0
    private var spare: [Chunk] = []
    /// The stream's first bytes while they may be an RPM whose headers have not all arrived.
    private var head: [UInt8]? = []
    private var position: Int64 = 0
    static let inlineLimit = 64 << 10
    /// Headers longer than this are not waited for: the range digests are then computed at
    /// close from the file.
    static let maxHeadBytes = 64 << 20

    init(maxPending: Int = 8) {
        slots = DispatchSemaphore(value: maxPending)
        lanes = Self.wholeStreamLanes()
    }

    private static func wholeStreamLanes() -> [Lane] {
        [Lane(label: "pkgfs.sha1", start: 0, hasher: RPMHasher(.sha1)!),
         Lane(label: "pkgfs.sha256", start: 0, hasher: RPMHasher(.sha256)!)]
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        let at = position
        position += Int64(bytes.count)
        let seen = lanes.count
        let added = lookForRanges(adding: bytes)
        hash(bytes, at: at, on: lanes[..<seen])
        // The new lanes take the head, which ends with these bytes.
        if !added.isEmpty, let head {
            head.withUnsafeBytes { hash($0, at: 0, on: added[...]) }
            self.head = nil
        }
    }

    /// Keeps the head of a stream that may be an RPM; once its headers are complete, adds a lane
    /// per range digest they record and returns those (they have not seen any byte yet).
    private func lookForRanges(adding bytes: UnsafeRawBufferPointer) -> [Lane] {
        guard head != nil else { return [] }
        // The first write is probed as it is: most uploads are not RPMs, and it need not be copied.
        let probe: RPMLayoutProbe
        if head!.isEmpty {
            probe = RPMLayoutProbe(prefix: bytes)
            if probe == .notRPM {
                head = nil
                return []
            }
            head!.append(contentsOf: bytes)
        } else {
            head!.append(contentsOf: bytes)
            probe = head!.withUnsafeBytes { RPMLayoutProbe(prefix: $0) }
        }
        switch probe {
        case .notRPM:
            head = nil
        case .needs(let count):
            if count > Self.maxHeadBytes { head = nil }
        case .known:
            guard let ranges = try? RPMHeaders(reader: MemoryBytes(head!)).rangeDigests() else {
                head = nil
                return []
            }
            let added = ranges.compactMap { range in
                RPMHasher(range.algorithm).map {
                    Lane(label: "pkgfs.\(range.kind.rawValue)", start: Int64(range.start), hasher: $0, range: range)
                }
            }
            if added.isEmpty { head = nil }
            lanes += added
            return added
        }
        return []
    }

    /// Hashes `bytes`, which start at offset `at` of the stream, on `targets`.
    private func hash(_ bytes: UnsafeRawBufferPointer, at: Int64, on targets: ArraySlice<Lane>) {
        guard !targets.isEmpty else { return }
        if bytes.count <= Self.inlineLimit && lock.withLock({ pending == 0 }) {
            for lane in targets { lane.update(bytes, at: at) }
            return
        }
        slots.wait()
        let chunk = lock.withLock { () -> Chunk in
            pending += 1
            return spare.popLast() ?? Chunk()
        }
        chunk.fill(bytes, at: at, hashes: targets.count)
        for lane in targets {
            lane.queue.async {
                lane.update(chunk.bytes, at: chunk.offset)
                self.done(chunk)
            }
        }
    }

    /// Called by each lane; the last call puts the chunk back.
    private func done(_ chunk: Chunk) {
        let free = lock.withLock { () -> Bool in
            chunk.hashesLeft -= 1
            guard chunk.hashesLeft == 0 else { return false }
            pending -= 1
            spare.append(chunk)
            return true
        }
        // After every lane, so a waiting writer never finds more than `maxPending` buffers in use.
        if free { slots.signal() }
    }

    /// Waits for every lane and returns the digests as hex: SHA-1 and SHA-256 of the whole, and
    /// the RPM range digests computed (none when the stream is not an RPM, or its headers were
    /// not complete or not readable).
    func finalize() -> (sha1: String, sha256: String, ranges: [RPMComputedDigest]) {
        let hexes = lanes.map { lane in lane.queue.sync { lane.hasher.finalizeHex() } }
        let ranges = zip(lanes, hexes).compactMap { lane, hex in lane.range.map { RPMComputedDigest($0, hex: hex) } }
        return (hexes[0], hexes[1], ranges)
    }

    func reset() {
        for lane in lanes { lane.queue.sync {} }
        lanes = Self.wholeStreamLanes()
        head = []
        position = 0
    }
}

/// One digest and the thread that computes it, over the stream's bytes from `start` on.
private final class Lane: @unchecked Sendable {
    // @unchecked: `hasher` is used on `queue` only, or inline while nothing is queued.
    let queue: DispatchQueue
    let start: Int64
    var hasher: RPMHasher
    /// What this lane computes when it is an RPM range digest; nil for SHA-1 and SHA-256.
    let range: RPMRangeDigest?

    init(label: String, start: Int64, hasher: RPMHasher, range: RPMRangeDigest? = nil) {
        queue = DispatchQueue(label: label)
        self.start = start
        self.hasher = hasher
        self.range = range
    }

    /// Hashes the part of `bytes` (which start at stream offset `at`) from `start` on.
    func update(_ bytes: UnsafeRawBufferPointer, at: Int64) {
        let skip = Int(max(0, min(Int64(bytes.count), start - at)))
        if skip < bytes.count { hasher.update(UnsafeRawBufferPointer(rebasing: bytes[skip...])) }
    }
}

/// One chunk's copy, hashed by its lanes, then reused for a later chunk.
private final class Chunk: @unchecked Sendable {
    // @unchecked: filled by the writer before it is handed to the queues, read-only after;
    // `hashesLeft` is changed under the digests' lock only.
    private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private(set) var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    private(set) var offset: Int64 = 0
    var hashesLeft = 0

    func fill(_ source: UnsafeRawBufferPointer, at offset: Int64, hashes: Int) {
        if storage.count < source.count {
            storage.deallocate()
            storage = .allocate(byteCount: max(source.count, 1 << 20), alignment: 64)
        }
        storage.copyMemory(from: source)
        bytes = UnsafeRawBufferPointer(rebasing: storage[0..<source.count])
        self.offset = offset
        hashesLeft = hashes
    }

    deinit {
        storage.deallocate()
    }
}
