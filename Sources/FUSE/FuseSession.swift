import CFuse
import Foundation
import Logging

/// A mounted filesystem: creates the libfuse session, mounts it, runs the request loop
/// (`RequestLoop`) until unmounted or signalled (SIGINT, SIGTERM, SIGHUP), then unmounts cleanly.
/// Unless passthrough is off, its reads and writes of /dev/fuse go through `passthroughIO`, which
/// negotiates FUSE passthrough.
public final class FuseSession: @unchecked Sendable {
    // @unchecked: `session` is set once in init and only used by libfuse's thread-safe calls.
    private let context: FuseContext
    private let session: OpaquePointer
    private let unmanaged: Unmanaged<FuseContext>
    private let notifier: Notifier
    public let mountPoint: String

    /// Mounts `fs` at `mountPoint`. `options` are `-o` options (`fsname=...`, `allow_other`, ...).
    /// `passthrough`: ask the kernel for FUSE passthrough (see `Passthrough`).
    public init(fs: any LowLevelFileSystem, mountPoint: String, options: [String], passthrough: Bool = true,
                logger: Logger) throws {
        self.mountPoint = mountPoint
        context = FuseContext(fs: fs, logger: logger)
        let retained = Unmanaged.passRetained(context)
        unmanaged = retained
        var argv = ["pkgfs"]
        for option in options { argv += ["-o", option] }
        var cArgs = argv.map { strdup($0) }
        defer { cArgs.forEach { free($0) } }
        var ops = makeOperations()
        let created: OpaquePointer? = cArgs.withUnsafeMutableBufferPointer { buf in
            var args = fuse_args(argc: Int32(buf.count), argv: buf.baseAddress, allocated: 0)
            defer { fuse_opt_free_args(&args) }
            return fuse_session_new(&args, &ops, MemoryLayout<fuse_lowlevel_ops>.size, retained.toOpaque())
        }
        guard let created else {
            retained.release()
            throw FSError(EINVAL, "libfuse refused the mount options \(options)")
        }
        session = created
        guard fuse_session_mount(session, mountPoint) == 0 else {
            fuse_session_destroy(created)
            retained.release()
            throw FSError(EIO, "cannot mount at \(mountPoint): is /dev/fuse present and fusermount3 installed (apt-get install fuse3)?")
        }
        context.device = fuse_session_fd(session)
        var io = passthroughIO()
        if passthrough && fuse_session_custom_io(session, &io, context.device) != 0 {
            logger.warning("cannot hook the session's I/O; originals are read through pkgfs")
        }
        notifier = Notifier(session: session, logger: logger)
        context.notifier = notifier
        fs.mounted(notifier: notifier)
    }

    /// Serves requests until the filesystem is unmounted or a signal (SIGINT, SIGTERM, SIGHUP)
    /// arrives. `busyPollMicroseconds`: how long to keep looking for the next request after
    /// answering one before sleeping (see `RequestLoop`); 0 sleeps at once.
    public func run(maxThreads: Int = 16, busyPollMicroseconds: Int = RequestLoop.defaultSpinMicroseconds) {
        guard fuse_set_signal_handlers(session) == 0 else {
            context.logger.error("cannot install signal handlers")
            return
        }
        let fs = context.fs
        RequestLoop(session: session, maxThreads: maxThreads, spinMicroseconds: busyPollMicroseconds,
                    listsQuickly: { fs.listsQuickly($0) }).run()
        fuse_remove_signal_handlers(session)
    }

    /// Asks the loop to stop (from any thread).
    public func stop() {
        fuse_session_exit(session)
    }

    deinit {
        let drained = notifier.drain()
        fuse_session_unmount(session)
        // A listing invalidation still waiting for a directory's lock uses the session when it
        // returns: then the session is left to the exiting process rather than freed under it.
        guard drained else { return }
        fuse_session_destroy(session)
        unmanaged.release()
    }
}

/// Sends cache invalidations from a thread of our own: called from inside a request handler
/// for the same directory, the kernel would wait on itself.
final class Notifier: KernelCacheNotifier, @unchecked Sendable {
    // @unchecked: the session pointer is only used on the three queues, after mount and before
    // destroy; `queued` and `waitingListings` are guarded by `lock`.
    private let session: OpaquePointer
    private let queue = DispatchQueue(label: "pkgfs.invalidate")
    private let logger: Logger
    /// Listing invalidations, which may wait for readers (see `invalidateListing`).
    private let listings = DispatchQueue(label: "pkgfs.invalidate.listings")
    private let lock = NSLock()
    private var queued = 0
    private var waitingListings: Set<UInt64> = []
    static let listingWait: DispatchTimeInterval = .milliseconds(50)

    init(session: OpaquePointer, logger: Logger) {
        self.session = session
        self.logger = logger
    }

    /// Replies of requests the kernel holds locks for, sent once their invalidations are.
    private let replies = DispatchQueue(label: "pkgfs.invalidate.replies", attributes: .concurrent)

    /// The invalidations asked for while serving a request the kernel holds inode locks for:
    /// `own` are sent before its reply, `kept` (they need one of those locks) after it.
    final class RequestInvalidations: @unchecked Sendable {
        // @unchecked: filled by the thread serving the request, then used by the one replying.
        let locked: Set<UInt64>
        var own: [@Sendable () -> Void] = []
        var kept: [@Sendable () -> Void] = []
        /// Whether a listing invalidation is among `own`.
        var waitsForListings = false
        init(locked: Set<UInt64>) { self.locked = locked }
    }

    @TaskLocal static var serving: RequestInvalidations?

    /// Runs `change`, the work of a request for which the kernel holds the locks of the inodes
    /// `locked` (an unlink's directory, the inode whose xattr is set), then `reply` with its
    /// outcome once the invalidations it asked for have reached the kernel, so the caller's next
    /// `ls`, `stat` or `cat` sees the change.
    ///
    /// An invalidation of a name in, or of the listing of, a locked directory takes that lock,
    /// which the kernel lets go only after the reply: those are sent after it (the kernel updates
    /// what it cached of a directory it changed itself). The others are sent from a thread of
    /// their own, not the notifier's queue: there an upload's invalidation may be waiting for a
    /// lock this request holds.
    func reply(after change: () -> Result<Void, any Error>, holding locked: Set<UInt64>,
               _ reply: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        guard !locked.isEmpty else {
            // An upload's close: it also waits for what its writes queued (a `state` write
            // applies its word as soon as the line is complete).
            let outcome = change()
            return afterSent { reply(outcome) }
        }
        let request = RequestInvalidations(locked: locked)
        let outcome = Self.$serving.withValue(request) { change() }
        replies.async {
            request.own.forEach { $0() }
            // Not without a listing of its own: an upload's listing of incoming/ waits there for
            // the lock an `rm` of a receipt holds, and the wait would hold up every upload.
            if request.waitsForListings { _ = self.waitForListings(upTo: Self.listingWait) }
            reply(outcome)
            request.kept.forEach { self.send($0) }
        }
    }

    /// Sends `body` from the notifier's queue, or, while a request that holds inode locks is
    /// served on this thread, keeps it for that request's reply (see `reply(after:holding:_:)`).
    private func route(needingLockOf ino: UInt64?, listing: Bool = false, _ body: @escaping @Sendable () -> Void) {
        guard let request = Self.serving else { return send(body) }
        if let ino, request.locked.contains(ino) { return request.kept.append(body) }
        request.own.append(body)
        if listing { request.waitsForListings = true }
    }

    /// Waits for queued invalidations; true when all are done and the session may be
    /// destroyed (a listing invalidation may wait on a reader that no longer gets answers).
    func drain() -> Bool {
        replies.sync(flags: .barrier) {}
        queue.sync {}
        return waitForListings(upTo: .seconds(2))
    }

    /// Runs `body` once everything asked so far has reached the kernel: at once if nothing is
    /// queued, else on the notifier's thread after it (and after listing invalidations, for
    /// at most `listingWait`).
    func afterSent(_ body: @escaping @Sendable () -> Void) {
        if lock.withLock({ queued == 0 }) { return body() }
        queue.async {
            _ = self.waitForListings(upTo: Self.listingWait)
            body()
        }
    }

    func waitUntilSent() {
        let sent = DispatchSemaphore(value: 0)
        afterSent { sent.signal() }
        sent.wait()
    }

    func invalidateEntry(parent: UInt64, name: String) {
        route(needingLockOf: parent) {
            let rc = fuse_lowlevel_notify_inval_entry(self.session, parent, name, name.utf8.count)
            if rc != 0 && rc != -ENOENT { self.logger.debug("inval_entry \(parent)/\(name): \(rc)") }
        }
    }

    func invalidateInode(_ ino: UInt64) {
        route(needingLockOf: nil) { self.sendInodeInvalidation(ino) }
    }

    func invalidateAttributes(_ ino: UInt64) {
        route(needingLockOf: nil) { self.sendInodeInvalidation(ino, attributesOnly: true) }
    }

    /// The kernel fills a directory's cached listing from the READDIR replies of whichever
    /// reader is at its end, and records the mtime it had when the filling began. A reply
    /// read from the catalog before a commit but taken in after that commit's invalidation
    /// (the reader was not scheduled yet) is kept under the new mtime: `ls` goes on showing
    /// the directory without the new package. Each getdents call holds the directory's lock
    /// shared from request to taken-in reply, and an entry invalidation takes it exclusively
    /// (Linux 6.18, whether or not the name exists): one for "..", which is never cached,
    /// waits out the replies in flight, and the pages they filled are then dropped.
    ///
    /// That wait runs on a queue of its own, and a close() waits for it `listingWait` at most:
    /// the first listing of a huge directory holds the lock for seconds (a `cp` during the
    /// first `ls` of 2,000,000 names in by-id waited 1.1 to 2.8 s when it waited it out).
    /// A wait not yet begun for the same directory covers a later change too.
    func invalidateListing(_ ino: UInt64) {
        route(needingLockOf: ino, listing: true) {
            self.sendInodeInvalidation(ino)
            let isNew = self.lock.withLock { () -> Bool in
                guard self.waitingListings.insert(ino).inserted else { return false }
                self.queued += 1
                return true
            }
            guard isNew else { return }
            self.listings.async {
                self.lock.withLock { _ = self.waitingListings.remove(ino) }
                _ = fuse_lowlevel_notify_inval_entry(self.session, ino, "..", 2)
                self.sendInodeInvalidation(ino)
                self.lock.withLock { self.queued -= 1 }
            }
        }
    }

    /// Drops the kernel's cached listing of directory `ino` (and its attributes) at once, from
    /// the calling thread: a directory's pages are not locked across a request, so this is safe
    /// while serving one for that directory.
    func dropCachedListing(_ ino: UInt64) {
        sendInodeInvalidation(ino)
    }

    /// Whether the listing invalidations asked so far were done within `limit`.
    private func waitForListings(upTo limit: DispatchTimeInterval) -> Bool {
        let done = DispatchSemaphore(value: 0)
        listings.async { done.signal() }
        return done.wait(timeout: .now() + limit) == .success
    }

    /// A negative offset tells the kernel to keep the cached pages.
    private func sendInodeInvalidation(_ ino: UInt64, attributesOnly: Bool = false) {
        let rc = fuse_lowlevel_notify_inval_inode(session, ino, attributesOnly ? -1 : 0, 0)
        if rc != 0 && rc != -ENOENT { logger.debug("inval_inode \(ino): \(rc)") }
    }

    private func send(_ body: @escaping @Sendable () -> Void) {
        lock.withLock { queued += 1 }
        queue.async {
            body()
            self.lock.withLock { self.queued -= 1 }
        }
    }
}
