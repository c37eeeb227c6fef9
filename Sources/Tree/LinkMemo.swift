import Foundation
import PkgfsStore

/// What a symlink shows: where it points, and for a link to a package the package's upload time.
struct LinkView: Sendable {
    let target: String
    let createdAt: Double?
}

/// Symlink targets, kept between requests. The kernel caches targets too, but this machine's
/// kernel drops idle cached pages within a minute, and `ls -l` over by-id/, by-sha1/ and the
/// receipts then asks again for each link, each a catalog read. A package change forgets what it
/// can have moved (`LinkMemo.forget`); links to other packages keep their targets.
///
/// Links to a package (receipts, by-id/, by-sha1/, by-sha256/, search hits) are kept as the
/// package's id, and each package's path once: after `ls -l` of the four link directories of
/// 100,000 packages, 400,000 target strings took 118 MB; ids and 100,000 paths take about 40.
final class LinkMemo: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private struct Memory: Sendable {
        var packageOfLink: BoundedCache<Node, Int64>
        var packages: BoundedCache<Int64, LinkedPackage>
        /// Targets of the other links (`latest`, payload symlinks).
        var targets: BoundedCache<Node, String>

        init(capacity: Int) {
            packageOfLink = BoundedCache(capacity: capacity)
            packages = BoundedCache(capacity: capacity)
            targets = BoundedCache(capacity: max(1, capacity / 16))
        }
    }

    /// A linked package's path from the mount root, and its upload time.
    struct LinkedPackage: Sendable {
        let path: String
        let createdAt: Double
    }

    private let lock = NSLock()
    private let capacity: Int
    private var memory: Memory
    /// Moves on every `forgetAll`, so a target read before a change is not stored after it.
    private var generation: UInt64 = 0

    init(capacity: Int = 1 << 20) {
        self.capacity = capacity
        memory = Memory(capacity: capacity)
    }

    /// What `node` shows, from memory, else from `read` (kept unless a change came in between).
    /// `prefix` leads from the link's directory to the mount root.
    func view(of node: Node, prefix: String, read: () throws -> Read?) rethrows -> LinkView? {
        let (known, readAt) = lock.withLock { (keptView(of: node, prefix: prefix), generation) }
        if let known { return known }
        guard let found = try read() else { return nil }
        lock.withLock {
            guard readAt == generation else { return }
            keep(found, for: node)
        }
        switch found {
        case let .package(_, package): return LinkView(target: prefix + package.path, createdAt: package.createdAt)
        case let .target(target): return LinkView(target: target, createdAt: nil)
        }
    }

    /// The generation reads are made at: pass it to `remember` with what they found.
    var currentGeneration: UInt64 { lock.withLock { generation } }

    /// Keeps what a batch of reads found, unless a change came in since `readAt`.
    func remember(_ found: [(Node, Read)], readAt: UInt64) {
        lock.withLock {
            guard readAt == generation else { return }
            for (node, read) in found { keep(read, for: node) }
        }
    }

    /// Those of `nodes` whose view is not kept.
    func unknown(_ nodes: [Node]) -> [Node] {
        lock.withLock {
            nodes.filter { keptView(of: $0, prefix: "") == nil }
        }
    }

    /// What is kept for `node`. Call with `lock` held.
    private func keptView(of node: Node, prefix: String) -> LinkView? {
        if let target = memory.targets.get(node) { return LinkView(target: target, createdAt: nil) }
        guard let id = memory.packageOfLink.get(node), let package = memory.packages.get(id) else { return nil }
        return LinkView(target: prefix + package.path, createdAt: package.createdAt)
    }

    /// Call with `lock` held.
    private func keep(_ found: Read, for node: Node) {
        switch found {
        case let .package(id, package):
            memory.packageOfLink.set(node, id)
            memory.packages.set(id, package)
        case let .target(target):
            memory.targets.set(node, target)
        }
    }

    /// What a link was found to show.
    enum Read {
        case package(Int64, LinkedPackage)
        case target(String)

        /// A link to the package `summary` shows.
        static func package(_ summary: PackageSummary) -> Read {
            .package(summary.id, LinkedPackage(path: summary.location.path, createdAt: summary.createdAt))
        }
    }

    /// Forgets what a change of the packages `ids` can have moved: their paths, the links whose
    /// package may now be another (`links`: receipts, by-id/, by-sha1/, by-sha256/ names of the
    /// packages), the targets of `targets` (the `latest` links above them) and, for packages
    /// gone, their payload symlinks. A read begun before this is not kept after it.
    func forget(packages ids: Set<Int64>, links: [Node], targets: [Node], gone: Bool) {
        lock.withLock {
            generation &+= 1
            for id in ids { memory.packages.remove(id) }
            for node in links { memory.packageOfLink.remove(node) }
            for node in targets { memory.targets.remove(node) }
            if gone {
                memory.targets.removeAll { node in
                    if case let .payload(id, _, _) = node { return ids.contains(id) }
                    return false
                }
            }
        }
    }
}
