import CFuse
import Foundation

/// Gives the pages malloc keeps after big frees back to the system. When the kernel forgets
/// most of its inodes, or a huge listing is dropped, the daemon frees hundreds of thousands of
/// small objects scattered over its heap, and glibc keeps those pages: after a browse of
/// 100,000 packages and a dentry drop the daemon stayed at 171 MB, 126 MB after a `malloc_trim`.
/// Frees are counted, and once enough have piled up one trim runs off the request threads,
/// a moment later, so that a burst of forgets is trimmed once, after it.
final class HeapTrimmer: @unchecked Sendable {
    // @unchecked: the counters are guarded by `lock`; the rest is immutable.
    private let threshold: Int
    private let delay: DispatchTimeInterval
    private let trim: @Sendable () -> Void
    private let lock = NSLock()
    private var freed = 0
    private var scheduled = false

    init(threshold: Int = 100_000, delay: DispatchTimeInterval = .seconds(1),
         trim: @escaping @Sendable () -> Void = { _ = malloc_trim(0) }) {
        self.threshold = threshold
        self.delay = delay
        self.trim = trim
    }

    /// `count` objects (inodes, listing entries) were just freed.
    func freed(_ count: Int) {
        let due = lock.withLock { () -> Bool in
            freed += count
            guard freed >= threshold, !scheduled else { return false }
            scheduled = true
            return true
        }
        guard due else { return }
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + delay) { [self] in
            lock.withLock {
                freed = 0
                scheduled = false
            }
            trim()
        }
    }
}
