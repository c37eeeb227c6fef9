import Foundation

/// Node ⇄ inode number, plus where each inode was last seen (parent, name) so a change can
/// tell the kernel exactly which names to forget.
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
    }

    private let lock = NSLock()
    private var inos: [Node: UInt64] = [.root: rootIno]
    private var known: [UInt64: Known] = [rootIno: Known(node: .root, parent: rootIno, name: "", references: 1)]
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
            known[ino] = Known(node: node, parent: parent, name: name, references: 1)
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
    }

    private static let smallestShrunk = 1 << 14

    /// (parent, name, ino) of every known node matching `predicate`.
    func places(where predicate: (Node) -> Bool) -> [(parent: UInt64, name: String, ino: UInt64)] {
        lock.withLock {
            known.compactMap { ino, entry in
                guard ino != Self.rootIno, predicate(entry.node) else { return nil }
                return (entry.parent, entry.name, ino)
            }
        }
    }
}
