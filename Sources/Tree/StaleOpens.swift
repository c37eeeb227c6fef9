import Foundation

/// Which opens of a superseded meta.json inode are refused. One through a name the kernel has not
/// dropped yet after a change (a label set on the package directory: the kernel holds it locked
/// until the reply, so the name is dropped just after) is: ESTALE makes the kernel look the name
/// up again and retry the open, once, in the same task. That retry is let through even if the
/// package changed again between its lookup and its open (refused too, the caller would get the
/// error): the document it looked up is as new as the open. Refusals, lookups and opens are told
/// apart by task: another reader's lookup, resolved before a change and answered after it, is no
/// retry of this open, and letting this open through on it showed the document before the change
/// to a caller whose change had returned. Not thread-safe: `MetaCache` locks around it.
struct StaleOpens {
    /// A package's meta.json as one task (thread) opens it.
    struct Opener: Hashable {
        let id: Int64
        let task: Int32
    }

    private var refused: [Opener: ContinuousClock.Instant] = [:]
    /// Retries looked up and not yet opened.
    private var retryLookups: [Opener: (version: Double, at: ContinuousClock.Instant)] = [:]
    /// Both steps of a retry are one system call: a lookup or an open later than this is another.
    static let window: Duration = .seconds(1)
    private static let pruneAt = 256

    /// Whether the open of meta.json of package `id` at `version`, `superseded` or not, by `task` is refused.
    mutating func refuses(_ id: Int64, version: Double, task: Int32, superseded: Bool, now: ContinuousClock.Instant) -> Bool {
        let opener = Opener(id: id, task: task)
        var isRetry = false
        if let lookup = retryLookups.removeValue(forKey: opener), lookup.version == version, now - lookup.at < Self.window {
            isRetry = true
        }
        guard superseded, !isRetry else { return false }
        if refused.count >= Self.pruneAt { refused = refused.filter { now - $0.value < Self.window } }
        if retryLookups.count >= Self.pruneAt { retryLookups = retryLookups.filter { now - $0.value.at < Self.window } }
        refused[opener] = now
        return true
    }

    /// meta.json of `id` at `version` was looked up by `task`: moments after an open of it by the
    /// same task was refused, this is the kernel's retry, whose open follows.
    mutating func lookedUp(_ id: Int64, version: Double, task: Int32, now: ContinuousClock.Instant) {
        let opener = Opener(id: id, task: task)
        guard !refused.isEmpty, let at = refused.removeValue(forKey: opener), now - at < Self.window else { return }
        retryLookups[opener] = (version, now)
    }
}
