import CFuse
import Foundation
import Logging
import Synchronization

/// FUSE passthrough (Linux 6.9+): an original is opened with its blob as the backing file, and
/// the kernel reads the blob itself, from its own page cache, without a READ request to pkgfs.
///
/// Why: FUSE's page cache holds 4 KiB pages while ext4's holds large folios, so a warm `cat`
/// through the mount copied at about 0.75× the speed of reading the blob (measured on the
/// README's VM); passthrough reads the blob's own cache.
///
/// libfuse 3.14 knows nothing of it, so two hooks on the session's I/O do the negotiation: the
/// kernel's INIT request says whether it offers passthrough, and the INIT reply asks for it.
/// Registering a backing file needs CAP_SYS_ADMIN; whether it works is found out at the first
/// open of an original and then holds for the whole mount, since the kernel refuses (EIO) to mix
/// passthrough and cached opens of one inode.
///
/// The kernel also refuses (EIO) to open an inode with a backing file other than the one its
/// open files already use, so all opens of one inode share one backing id, closed with the last:
/// two readers of one original at once each got their own before, and one of them EIO.
final class Passthrough: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private enum State { case untried, working, unavailable }

    private let lock = NSLock()
    /// Set once the INIT reply is written: every later request and reply passes untouched.
    private let negotiated = Atomic<Bool>(false)
    private var offered = false
    private var requested = false
    private var state = State.untried
    /// The backing id each inode's open files share, and how many there are.
    private var backing: [UInt64: (id: Int32, opens: Int)] = [:]
    /// The inode of each open file handle with a backing id.
    private var inodeOfHandle: [UInt64: UInt64] = [:]

    /// Sees each request read from /dev/fuse; only the first, INIT, matters.
    func sawRequest(_ bytes: UnsafeRawPointer, length: Int) {
        guard !negotiated.load(ordering: .relaxed), pkgfs_init_offers_passthrough(bytes, length) != 0 else { return }
        lock.withLock { offered = true }
    }

    /// Sees each reply before it is written; asks for passthrough in the first, the INIT reply.
    func willWrite(_ iov: UnsafeMutablePointer<iovec>, count: Int32) {
        guard !negotiated.load(ordering: .relaxed) else { return }
        lock.withLock {
            if offered { requested = pkgfs_request_passthrough(iov, count) != 0 }
        }
        negotiated.store(true, ordering: .releasing)
    }

    /// The backing id for the open file `handle` of `ino`: the one its other open files use, else
    /// `fd` registered on `device`; nil when the mount reads through pkgfs.
    func register(_ fd: Int32, ino: UInt64, handle: UInt64, device: Int32, logger: Logger) throws -> Int32? {
        let (state, asked) = lock.withLock { (self.state, requested) }
        guard state != .unavailable else { return nil }
        guard asked else {
            lock.withLock { self.state = .unavailable }
            if negotiated.load(ordering: .acquiring) {
                logger.notice("reads of originals go through pkgfs: the kernel does not offer FUSE passthrough (Linux 6.9+)")
            }
            return nil
        }
        // Registered under the lock: two first opens of one inode must not register two ids.
        let (id, error) = lock.withLock { () -> (Int32, Int32) in
            let shared = backing[ino]
            let id = shared?.id ?? pkgfs_backing_open(device, fd)
            guard id > 0 else { return (id, errno) }
            backing[ino] = (id, (shared?.opens ?? 0) + 1)
            inodeOfHandle[handle] = ino
            return (id, 0)
        }
        guard id > 0 else {
            let reason = String(cString: strerror(error))
            // Once one open went through, others of the same file may be passthrough ones, and
            // the kernel fails a cached open beside them (EIO): so this open fails instead.
            let firstRefusal = lock.withLock { () -> Bool in
                guard self.state == .untried else { return false }
                self.state = .unavailable
                return true
            }
            if firstRefusal {
                logger.notice("reads of originals go through pkgfs: the kernel refused passthrough (\(reason))")
                return nil
            }
            if lock.withLock({ self.state }) == .unavailable { return nil }
            throw FSError(EIO, "registering a blob for passthrough failed: \(reason)")
        }
        lock.withLock {
            if self.state == .untried {
                self.state = .working
                logger.info("originals are read by the kernel from their blobs (FUSE passthrough)")
            }
        }
        return id
    }

    /// The file of `handle` was released; with the last open file of its inode goes the backing
    /// id. The kernel lets go of an inode's backing file before it sends the last release, so a
    /// later open registers a new one.
    func release(handle: UInt64, device: Int32) {
        let unused = lock.withLock { () -> Int32? in
            guard let ino = inodeOfHandle.removeValue(forKey: handle), let shared = backing[ino] else { return nil }
            guard shared.opens == 1 else {
                backing[ino] = (shared.id, shared.opens - 1)
                return nil
            }
            backing[ino] = nil
            return shared.id
        }
        if let unused { _ = pkgfs_backing_close(device, unused) }
    }
}

/// The session's reads and writes of /dev/fuse, as libfuse would do them, plus the passthrough hooks.
func passthroughIO() -> fuse_custom_io {
    var io = fuse_custom_io()
    io.read = { fd, buffer, length, userdata in
        let n = Glibc.read(fd, buffer, length)
        if n > 0, let buffer, let userdata {
            FuseContext.fromUserdata(userdata).passthrough.sawRequest(buffer, length: n)
        }
        return n
    }
    io.writev = { fd, iov, count, userdata in
        if let iov, let userdata {
            FuseContext.fromUserdata(userdata).passthrough.willWrite(iov, count: count)
        }
        return Glibc.writev(fd, iov, count)
    }
    return io
}
