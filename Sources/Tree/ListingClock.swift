import Foundation

/// The modification time of the directories whose listings come from the catalog (the root,
/// incoming/, by-id/, the type/os/arch/version levels, search/…): the moment the catalog last
/// changed, strictly increasing.
///
/// The kernel keeps a directory's listing in its page cache and, at the next opendir, throws
/// it away only if the directory's mtime moved. Invalidating the directory's pages is not
/// enough: a READDIR answered from the catalog just before a commit can reach the kernel after
/// that commit's invalidation and be cached whole. With the clock ticking after each commit,
/// such a listing was cached under the old mtime and is dropped as soon as the kernel reads
/// the new one.
final class ListingClock: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private let lock = NSLock()
    private var last: Double

    /// One microsecond: well above a Double's resolution for today's epoch seconds (~0.24 µs).
    private static let step = 1e-6

    init(start: Double) {
        last = start
    }

    var time: Double {
        lock.withLock { last }
    }

    /// Call after a change is committed and before the kernel is told about it.
    func tick() {
        lock.withLock { last = max(Date().timeIntervalSince1970, last + Self.step) }
    }
}
