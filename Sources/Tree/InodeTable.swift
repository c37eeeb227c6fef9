import Foundation

/// Node ⇄ inode number, plus where each inode was last seen (parent, name) so a change can
/// tell the kernel exactly which names to forget. The inodes of one package, and the search
/// directories, are also kept together (`InodeGroup`): a change finds what it affects without
/// going through every inode the kernel holds (800,000 after a `find` over 100,000 packages,
/// which made each upload take 85 ms instead of 8).
///
/// A number lives while the kernel holds references to it (lookups, creates and readdirplus
/// entries, given back by forget), so memory follows the kernel's inode cache, not the size of
/// the catalog. Numbers are never reused while mounted.
final class InodeTable: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    static let rootIno: UInt64 = 1

    private struct Known {
        var node: Node
        var parent: UInt64
        var name: String
        var references: UInt64
        /// Index in its group's list (`groups[node.group]`), when it has a group.
        var slot: Int
    }

    /// Where the kernel last saw an inode (`name` in the directory `parent`), and what it shows.
    struct Place: Equatable {
        let parent: UInt64
        let name: String
        let ino: UInt64
        let node: Node
    }

    private let lock = NSLock()
    private var inos: [Node: UInt64] = [.root: rootIno]
    private var known: [UInt64: Known] = [rootIno: Known(node: .root, parent: rootIno, name: "", references: 1, slot: -1)]
    private var groups: [InodeGroup: [UInt64]] = [:]
    private var next: UInt64 = rootIno + 1

    var count: Int { lock.withLock { known.count } }

    /// Entries the table has room for without growing (for tests).
    var capacity: Int { lock.withLock { known.capacity } }

    func node(_ ino: UInt64) -> Node? {
        lock.withLock { known[ino]?.node }
    }

    func existingIno(_ node: Node) -> UInt64? {
        lock.withLock { inos[node] }
    }

    /// The inode of `node`, numbering it if it has none, with one more kernel reference;
    /// records where it was seen.
    func reference(_ node: Node, parent: UInt64, name: String) -> UInt64 {
        lock.withLock {
            if let ino = inos[node] {
                known[ino]!.references += 1
                known[ino]!.parent = parent
                known[ino]!.name = name
                return ino
            }
            let ino = next
            next += 1
            inos[node] = ino
            var slot = -1
            if let group = node.group {
                slot = groups[group, default: []].count
                groups[group, default: []].append(ino)
            }
            known[ino] = Known(node: node, parent: parent, name: name, references: 1, slot: slot)
            return ino
        }
    }

    /// The kernel gave back `count` references; with none left the number is dropped.
    func forget(_ ino: UInt64, count: UInt64) {
        guard ino != Self.rootIno else { return }
        lock.withLock {
            guard var entry = known[ino] else { return }
            entry.references -= min(count, entry.references)
            if entry.references == 0 {
                known[ino] = nil
                inos[entry.node] = nil
                if let group = entry.node.group { leave(group, at: entry.slot) }
                shrinkIfSparse()
            } else {
                known[ino] = entry
            }
        }
    }

    /// A dictionary keeps its largest size when emptied: after a browse of 800,000 entries the
    /// kernel forgot, its two held 190 MB. Remade at the size in use once mostly empty (rarely:
    /// it must have shrunk eightfold since).
    private func shrinkIfSparse() {
        guard known.capacity > Self.smallestShrunk, known.count < known.capacity / 8 else { return }
        known = Dictionary(uniqueKeysWithValues: known.lazy.map { ($0.key, $0.value) })
        inos = Dictionary(uniqueKeysWithValues: inos.lazy.map { ($0.key, $0.value) })
        groups = Dictionary(uniqueKeysWithValues: groups.lazy.map { ($0.key, $0.value) })
    }

    private static let smallestShrunk = 1 << 14

    /// Takes the inode at `slot` out of `group`'s list: the last one moves into its place.
    private func leave(_ group: InodeGroup, at slot: Int) {
        guard var members = groups.removeValue(forKey: group) else { return }
        let last = members.removeLast()
        if slot < members.count {
            members[slot] = last
            known[last]?.slot = slot
        }
        if !members.isEmpty { groups[group] = members }
    }

    /// Where each known inode of `group` was last seen.
    func places(in group: InodeGroup) -> [Place] {
        lock.withLock {
            (groups[group] ?? []).compactMap { ino in known[ino].map { Place(parent: $0.parent, name: $0.name, ino: ino, node: $0.node) } }
        }
    }

    /// Where `node` was last seen, if the kernel holds it.
    func place(of node: Node) -> Place? {
        lock.withLock {
            guard let ino = inos[node], ino != Self.rootIno, let entry = known[ino] else { return nil }
            return Place(parent: entry.parent, name: entry.name, ino: ino, node: node)
        }
    }
}

/// Inodes a change finds together: those showing one package, and the search directories
/// (every change may alter any search's hits).
enum InodeGroup: Hashable {
    case package(Int64)
    case searchDirectories
}

extension Node {
    var group: InodeGroup? {
        if let id = packageID { return .package(id) }
        if case .searchDir = self { return .searchDirectories }
        return nil
    }
}
