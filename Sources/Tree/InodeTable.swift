import Foundation
import PkgfsModel

/// Node ⇄ inode number, plus where each inode was last seen (parent, name) so a change can
/// tell the kernel exactly which names to forget. The inodes of one package, and the search
/// directories, are also kept together (`InodeGroup`): a change finds what it affects without
/// going through every inode the kernel holds (800,000 after a `find` over 100,000 packages,
/// which made each upload take 85 ms instead of 8).
///
/// A number lives while the kernel holds references to it (lookups, creates and readdirplus
/// entries, given back by forget), so memory follows the kernel's inode cache, not the size of
/// the catalog. Numbers are never reused while mounted (a slot is, under a new generation).
/// Entries sit in chunked slots and the nodes are indexed by 4-byte slot numbers: 805,000
/// inodes took 218 MB in two dictionaries, and take about 60 MB so.
final class InodeTable: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    static let rootIno: UInt64 = 1

    /// Where the kernel last saw an inode (`name` in the directory `parent`), and what it shows.
    struct Place: Equatable {
        let parent: UInt64
        let name: String
        let ino: UInt64
        let node: Node
    }

    private let lock = NSLock()
    private var slots = InodeSlots()
    private var index = NodeIndex()
    private var groups: [InodeGroup: [UInt64]] = [:]

    init() {
        let root = InodeEntry(node: .root, generation: 0, parent: Self.rootIno, name: "", references: 1,
                              groupSlot: -1, hash: Self.hash(of: .root))
        let ino = slots.insert(root)
        precondition(ino == Self.rootIno, "the root takes the first slot")
        index.insert(InodeNumber.slot(of: ino), hash: root.hash, in: slots)
    }

    private static func hash(of node: Node) -> UInt32 {
        UInt32(truncatingIfNeeded: node.hashValue)
    }

    var count: Int { lock.withLock { slots.count } }

    /// Entries the table has room for without growing (for tests).
    var capacity: Int { lock.withLock { slots.capacity } }

    /// Buckets of the node index (for tests).
    var indexCapacity: Int { lock.withLock { index.capacity } }

    func node(_ ino: UInt64) -> Node? {
        lock.withLock { slots[ino]?.node }
    }

    func existingIno(_ node: Node) -> UInt64? {
        lock.withLock { ino(of: node, hash: Self.hash(of: node)) }
    }

    private func ino(of node: Node, hash: UInt32) -> UInt64? {
        guard let slot = index.slot(of: node, hash: hash, in: slots) else { return nil }
        return InodeNumber.make(slot: slot, generation: slots.entry(inSlot: slot).generation)
    }

    /// The inode of `node`, numbering it if it has none, with one more kernel reference;
    /// records where it was seen.
    func reference(_ node: Node, parent: UInt64, name: String) -> UInt64 {
        let hash = Self.hash(of: node)
        return lock.withLock {
            if let ino = ino(of: node, hash: hash) {
                slots.update(ino) { entry in
                    entry.references += 1
                    entry.parent = parent
                    if entry.name != name { entry.name = name }
                }
                return ino
            }
            let group = node.group
            let groupSlot = group.map { groups[$0, default: []].count } ?? -1
            let shared = node.ownName.flatMap { $0 == name ? $0 : nil } ?? name
            let ino = slots.insert(InodeEntry(node: node, generation: 0, parent: parent, name: shared, references: 1,
                                              groupSlot: Int32(groupSlot), hash: hash))
            index.insert(InodeNumber.slot(of: ino), hash: hash, in: slots)
            if let group { groups[group, default: []].append(ino) }
            return ino
        }
    }

    /// The kernel gave back `count` references; with none left the number is dropped and its
    /// node returned.
    @discardableResult
    func forget(_ ino: UInt64, count: UInt64) -> Node? {
        guard ino != Self.rootIno else { return nil }
        return lock.withLock {
            guard var entry = slots[ino] else { return nil }
            entry.references -= min(count, entry.references)
            guard entry.references == 0 else {
                slots.update(ino) { $0.references = entry.references }
                return nil
            }
            index.remove(InodeNumber.slot(of: ino), hash: entry.hash, in: slots)
            slots.remove(ino)
            if let group = entry.node.group { leave(group, at: Int(entry.groupSlot)) }
            return entry.node
        }
    }

    /// Takes the inode at `slot` out of `group`'s list: the last one moves into its place.
    /// A dictionary keeps its largest size when emptied, so the groups are remade at the size in
    /// use once mostly empty.
    private func leave(_ group: InodeGroup, at slot: Int) {
        guard var members = groups.removeValue(forKey: group) else { return }
        let last = members.removeLast()
        if slot < members.count {
            members[slot] = last
            slots.update(last) { $0.groupSlot = Int32(slot) }
        }
        if !members.isEmpty { groups[group] = members }
        if groups.capacity > Self.smallestShrunk, groups.count < groups.capacity / 8 {
            groups = Dictionary(uniqueKeysWithValues: groups.lazy.map { ($0.key, $0.value) })
        }
    }

    private static let smallestShrunk = 1 << 14

    /// Where each known inode of `group` whose node passes `filter` was last seen.
    func places(in group: InodeGroup, where filter: (Node) -> Bool = { _ in true }) -> [Place] {
        places(inAny: [group], where: filter)
    }

    /// Where each known inode of any of `groups` whose node passes `filter` was last seen.
    func places(inAny wanted: some Sequence<InodeGroup>, where filter: (Node) -> Bool = { _ in true }) -> [Place] {
        lock.withLock {
            wanted.flatMap { group in
                (groups[group] ?? []).compactMap { ino -> Place? in
                    guard let entry = slots[ino], filter(entry.node) else { return nil }
                    return Place(parent: entry.parent, name: entry.name, ino: ino, node: entry.node)
                }
            }
        }
    }

    /// The path of `ino` from the root ("/incoming/x"; "" for the root), by where each inode on
    /// the way was last seen; nil once the kernel no longer holds one of them.
    func path(of ino: UInt64) -> String? {
        lock.withLock {
            var names: [String] = []
            var current = ino
            while current != Self.rootIno {
                guard let entry = slots[current], names.count < 64 else { return nil }
                names.append(entry.name)
                current = entry.parent
            }
            return names.reversed().map { "/" + $0 }.joined()
        }
    }

    /// Where `node` was last seen, if the kernel holds it.
    func place(of node: Node) -> Place? {
        lock.withLock {
            guard let ino = ino(of: node, hash: Self.hash(of: node)), ino != Self.rootIno, let entry = slots[ino] else {
                return nil
            }
            return Place(parent: entry.parent, name: entry.name, ino: ino, node: node)
        }
    }
}

/// Inodes a change finds together: those showing one package, and the search directories
/// (a change alters the hits of those whose keyword the package matches).
enum InodeGroup: Hashable {
    case package(Int64)
    /// Search directories of ASCII keywords, by `KeywordMatch.foldedHash`: a change looks up
    /// the hashes its package matches, not every search the kernel holds.
    case searchKeyword(UInt64)
    /// Search directories of other keywords, each matched in turn.
    case searchOtherKeywords
}

extension Node {
    var group: InodeGroup? {
        if let id = packageID { return .package(id) }
        if case .searchDir(let keyword) = self {
            return KeywordMatch.foldedHash(ofASCIIKeyword: keyword).map(InodeGroup.searchKeyword) ?? .searchOtherKeywords
        }
        return nil
    }
}
