import Foundation

/// Which opens of a superseded meta.json inode are refused. One through a name the kernel has not
/// dropped yet after a change (a label set on the package directory: the kernel holds it locked
/// until the reply, so the name is dropped just after) is: ESTALE makes the kernel look the name
/// up again and retry the open, once. That retry is let through even if the package changed
/// again between its lookup and its open (refused too, the caller would get the error): the
/// document it looked up is as new as the open. Not thread-safe: `MetaCache` locks around it.
struct StaleOpens {
    private var refused: [Int64: ContinuousClock.Instant] = [:]
    /// Retries looked up and not yet opened, by package.
    private var retryLookups: [Int64: (version: Double, at: ContinuousClock.Instant, opens: Int)] = [:]
    /// Both steps of a retry are one system call: a lookup or an open later than this is another.
    static let window: Duration = .seconds(1)
    private static let pruneAt = 256

    /// Whether the open of meta.json of package `id` at `version`, `superseded` or not, is refused.
    mutating func refuses(_ id: Int64, version: Double, superseded: Bool, now: ContinuousClock.Instant) -> Bool {
        var isRetry = false
        if var lookup = retryLookups[id], lookup.version == version, now - lookup.at < Self.window {
            lookup.opens -= 1
            retryLookups[id] = lookup.opens > 0 ? lookup : nil
            isRetry = true
        }
        guard superseded, !isRetry else { return false }
        if refused.count >= Self.pruneAt { refused = refused.filter { now - $0.value < Self.window } }
        if retryLookups.count >= Self.pruneAt { retryLookups = retryLookups.filter { now - $0.value.at < Self.window } }
        refused[id] = now
        return true
    }

    /// meta.json of `id` at `version` was looked up: moments after an open of it was refused,
    /// this is the kernel's retry, whose open follows.
    mutating func lookedUp(_ id: Int64, version: Double, now: ContinuousClock.Instant) {
        guard !refused.isEmpty, let at = refused[id], now - at < Self.window else { return }
        let earlier = retryLookups[id].flatMap { $0.version == version ? $0.opens : nil } ?? 0
        retryLookups[id] = (version, now, earlier + 1)
    }
}
