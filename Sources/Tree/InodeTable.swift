import Foundation

/// Node ⇄ inode number, plus where each inode was last seen (parent, name) so a change can
/// tell the kernel exactly which names to forget. Numbers are never reused while mounted.
final class InodeTable: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    static let rootIno: UInt64 = 1

    private let lock = NSLock()
    private var inos: [Node: UInt64] = [.root: rootIno]
    private var nodes: [UInt64: Node] = [rootIno: .root]
    private var places: [UInt64: (parent: UInt64, name: String)] = [:]
    private var next: UInt64 = rootIno + 1

    func node(_ ino: UInt64) -> Node? {
        lock.withLock { nodes[ino] }
    }

    func existingIno(_ node: Node) -> UInt64? {
        lock.withLock { inos[node] }
    }

    /// The inode of `node`, assigning one if it has none; records where it was seen.
    func ino(for node: Node, parent: UInt64, name: String) -> UInt64 {
        lock.withLock {
            let ino: UInt64
            if let known = inos[node] {
                ino = known
            } else {
                ino = next
                next += 1
                inos[node] = ino
                nodes[ino] = node
            }
            places[ino] = (parent, name)
            return ino
        }
    }

    /// (parent, name, ino) of every known node matching `predicate`.
    func places(where predicate: (Node) -> Bool) -> [(parent: UInt64, name: String, ino: UInt64)] {
        lock.withLock {
            inos.compactMap { node, ino in
                guard predicate(node), let place = places[ino] else { return nil }
                return (place.parent, place.name, ino)
            }
        }
    }
}
