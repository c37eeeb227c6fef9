import CFuse
import Foundation
import Synchronization

/// Serves a session's requests with a leader/follower pool. One thread at a time, the poller,
/// reads /dev/fuse. It answers quick requests itself (lookups, attributes, opens, releases, link
/// targets, listings of small directories) and keeps reading; a request that may block (reads,
/// writes, the close that registers an upload) it also serves itself, but first hands the poller
/// role to an idle thread.
///
/// Why not libfuse's multi-threaded loop: there every request wakes a sleeping thread, and on a
/// virtual machine a wake-up on another CPU costs an inter-processor interrupt. Measured on the
/// 2-core VM of the README: an open+close of a cached meta.json took 16 µs with the caller and
/// pkgfs on one CPU and 84 µs across the two. The poller instead keeps reading for a moment
/// (`spin`) after each request, so the requests of a busy caller (`find -exec cat`, `ls -l`)
/// are picked up without any wake-up, and it goes back to sleeping in poll(2) once idle.
///
/// A quick request that turns out slow (a cold catalog page, a big search) does not stall the
/// mount: a watcher notices the poller has been in one request for `stuckAfter` and gives the
/// poller role to another thread.
public final class RequestLoop: @unchecked Sendable {
    // @unchecked: the mutable state below is guarded by `lock`, except the atomics.
    public static let defaultSpinMicroseconds = 100

    private let session: OpaquePointer
    private let fd: Int32
    private let spin: UInt64
    private let maxThreads: Int
    private let stuckAfter: UInt64 = 10_000_000
    private let listsQuickly: @Sendable (UInt64) -> Bool

    private let lock = NSCondition()
    private var pollerActive = false
    private var threads = 0
    private var idleThreads = 0
    private var stopping = false
    private var spare: [fuse_buf] = []

    /// Bumped whenever the poller role changes hands; a thread is the poller while it matches.
    private let generation = Atomic<UInt64>(0)
    /// When the poller began its current request (monotonic ns), 0 when it is not in one.
    private let pollerBusySince = Atomic<UInt64>(0)
    /// True while the poller sleeps in poll(2): the mount is idle and the watcher may sleep too.
    private let pollerIdle = Atomic<Bool>(false)

    private let watcherWake = NSCondition()
    private var watcherAsleep = false
    private let watcherDone = DispatchSemaphore(value: 0)

    /// `listsQuickly`: whether a readdir of the directory with this inode is quick (see `isQuick`).
    public init(session: OpaquePointer, maxThreads: Int, spinMicroseconds: Int,
                listsQuickly: @escaping @Sendable (UInt64) -> Bool = { _ in false }) {
        self.session = session
        self.listsQuickly = listsQuickly
        fd = fuse_session_fd(session)
        self.maxThreads = max(2, maxThreads)
        spin = UInt64(max(0, spinMicroseconds)) * 1000
    }

    /// Serves until the session exits (unmount, signal); returns once every thread has finished
    /// the request it was serving.
    public func run() {
        // Non-blocking, so the poller can look for a request without sleeping; it sleeps in poll(2).
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let watcher = Thread { [self] in watch() }
        watcher.name = "pkgfs-watcher"
        watcher.start()

        lock.lock()
        threads += 1
        lock.unlock()
        serve()

        lock.lock()
        while threads > 0 { lock.wait() }
        let buffers = spare
        spare = []
        lock.unlock()
        for buffer in buffers { free(buffer.mem) }
        // The session is destroyed after run() returns: the watcher must be done with it.
        wakeWatcher()
        watcherDone.wait()
    }

    /// Requests the poller answers without handing over its role: what a `find`, `ls -l` or
    /// `cat` of a cached file asks, and no more than a catalog read to answer. Listings of big
    /// directories (a whole by-id at a million packages), reads, writes and whatever changes the
    /// store are served after a hand-over. A package directory's listing is quick: a cold `find`
    /// of 100,000 packages asks for 210,000 of them, and the hand-over each (a wake-up of another
    /// thread) made it take 38–41 s instead of 31–32 s.
    private func isQuick(_ buffer: fuse_buf) -> Bool {
        let opcode = opcode(of: buffer)
        if Self.isQuickOpcode(opcode) { return true }
        // READDIR, READDIRPLUS
        return (opcode == 28 || opcode == 44) && listsQuickly(nodeID(of: buffer))
    }

    private static func isQuickOpcode(_ opcode: UInt32) -> Bool {
        switch opcode {
        case 1, 2, 3, 5, 14, 17, 18, 22, 23, 27, 29, 34, 36, 41, 42:
            // LOOKUP, FORGET, GETATTR, READLINK, OPEN, STATFS, RELEASE, GETXATTR, LISTXATTR,
            // OPENDIR, RELEASEDIR, ACCESS, INTERRUPT, NOTIFY_REPLY, BATCH_FORGET
            return true
        default:
            return false
        }
    }

    // MARK: threads

    /// One pool thread: waits to become the poller, polls until it hands the role over (or has it
    /// taken away), serves the request in hand, and waits again.
    private func serve() {
        var buffer = fuse_buf()
        while let role = becomePoller() {
            if poll(as: role, into: &buffer) {
                fuse_session_process_buf(session, &buffer)
            }
        }
        lock.lock()
        spare.append(buffer)
        threads -= 1
        lock.broadcast()
        lock.unlock()
    }

    /// Waits until the poller role is free and takes it; nil once the loop is stopping.
    private func becomePoller() -> UInt64? {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if stopping { return nil }
            if !pollerActive {
                pollerActive = true
                return generation.add(1, ordering: .acquiringAndReleasing).newValue
            }
            idleThreads += 1
            lock.wait()
            idleThreads -= 1
        }
    }

    /// Gives up the poller role (if still held as `role`) and wakes or starts a thread to take it.
    private func handOver(_ role: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        guard pollerActive, generation.load(ordering: .acquiring) == role else { return }
        pollerActive = false
        generation.add(1, ordering: .acquiringAndReleasing)
        if idleThreads > 0 {
            lock.signal()
        } else if threads < maxThreads {
            threads += 1
            let thread = Thread { [self] in serve() }
            thread.name = "pkgfs-fuse"
            thread.start()
        }
    }

    /// Reads and answers quick requests as the poller `role`. Returns true with a slow request in
    /// `buffer` (the role already handed over), false when the role was lost or the session ended.
    private func poll(as role: UInt64, into buffer: inout fuse_buf) -> Bool {
        var spinUntil = monotonicNanoseconds() + spin
        while generation.load(ordering: .acquiring) == role {
            if fuse_session_exited(session) != 0 {
                stop()
                return false
            }
            let received = fuse_session_receive_buf(session, &buffer)
            if received == -EAGAIN {
                if monotonicNanoseconds() < spinUntil {
                    sched_yield()
                } else {
                    sleepUntilReadable()
                }
                continue
            }
            if received == -EINTR { continue }
            if received <= 0 {
                // 0: unmounted or exited; an error was printed by libfuse and ends the session.
                fuse_session_exit(session)
                stop()
                return false
            }
            if isQuick(buffer) {
                let began = monotonicNanoseconds()
                pollerBusySince.store(began, ordering: .releasing)
                fuse_session_process_buf(session, &buffer)
                // Unless the watcher took the role (and cleared this) meanwhile.
                _ = pollerBusySince.compareExchange(expected: began, desired: 0, ordering: .acquiringAndReleasing)
            } else {
                handOver(role)
                return true
            }
            spinUntil = monotonicNanoseconds() + spin
        }
        return false
    }

    private func stop() {
        lock.lock()
        stopping = true
        pollerActive = false
        lock.broadcast()
        lock.unlock()
        wakeWatcher()
    }

    // struct fuse_in_header { uint32_t len; uint32_t opcode; uint64_t unique; uint64_t nodeid; ... }
    private func opcode(of buffer: fuse_buf) -> UInt32 {
        buffer.mem.map { $0.load(fromByteOffset: 4, as: UInt32.self) } ?? 0
    }

    private func nodeID(of buffer: fuse_buf) -> UInt64 {
        buffer.mem.map { $0.load(fromByteOffset: 16, as: UInt64.self) } ?? 0
    }

    private func sleepUntilReadable() {
        pollerIdle.store(true, ordering: .releasing)
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        // Bounded, so a signal handled on another thread (which only marks the session exited)
        // still ends the loop promptly.
        let ready = Glibc.poll(&entry, 1, 250)
        pollerIdle.store(false, ordering: .releasing)
        if ready > 0 { wakeWatcher() }
    }

    // MARK: watcher

    private func wakeWatcher() {
        watcherWake.lock()
        if watcherAsleep { watcherWake.signal() }
        watcherWake.unlock()
    }

    /// Checks every few milliseconds, while the mount is busy, that the poller is not stuck in a
    /// slow request; sleeps while the mount is idle.
    private func watch() {
        while !isStopping {
            watcherWake.lock()
            if pollerIdle.load(ordering: .acquiring) {
                watcherAsleep = true
                watcherWake.wait()
                watcherAsleep = false
            } else {
                _ = watcherWake.wait(until: Date(timeIntervalSinceNow: Double(stuckAfter) / 2e9))
            }
            watcherWake.unlock()
            let role = generation.load(ordering: .acquiring)
            let since = pollerBusySince.load(ordering: .acquiring)
            if since != 0 && monotonicNanoseconds() &- since > stuckAfter
                && pollerBusySince.compareExchange(expected: since, desired: 0, ordering: .acquiringAndReleasing).exchanged {
                // The stuck thread finds the role gone when its request ends and waits like the rest.
                handOver(role)
            }
        }
        watcherDone.signal()
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }
}

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
