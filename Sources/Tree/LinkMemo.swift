import Foundation

/// Symlink targets by node, kept between requests. The kernel caches targets too, but this
/// machine's kernel drops idle cached pages within a minute, and `ls -l` over by-id/, by-sha1/
/// and the receipts then asks again for each link, each a catalog read. Any package change
/// forgets them all (`latest` and the digest links can move with any upload).
final class LinkTargetMemo: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private let lock = NSLock()
    private let capacity: Int
    private var targets: BoundedCache<Node, String>
    /// Moves on every `forgetAll`, so a target read before a change is not stored after it.
    private var generation: UInt64 = 0

    init(capacity: Int = 1 << 20) {
        self.capacity = capacity
        targets = BoundedCache(capacity: capacity)
    }

    /// The remembered target of `node`, else what `read` answers (kept unless a change came
    /// in between).
    func target(of node: Node, _ read: () throws -> String?) rethrows -> String? {
        let (known, readAt) = lock.withLock { (targets.get(node), generation) }
        if let known { return known }
        let target = try read()
        if let target {
            lock.withLock { if readAt == generation { targets.set(node, target) } }
        }
        return target
    }

    func forgetAll() {
        let dropped = lock.withLock { () -> BoundedCache<Node, String> in
            generation &+= 1
            defer { targets = BoundedCache(capacity: capacity) }
            return targets
        }
        // Freeing a full memo took 170 ms (after a browse of 100,000 packages), in the
        // close() of the upload that changed something: that is done on another thread.
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(dropped) {} }
    }
}
