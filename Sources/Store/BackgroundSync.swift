import Foundation

/// An fsync(2) that runs on another thread while the caller goes on, so the disk makes bytes
/// durable while the CPU parses the upload or fills the catalog transaction. `wait` returns its
/// outcome; nothing may rely on the bytes being durable before it has returned.
final class BackgroundSync: @unchecked Sendable {
    // @unchecked: `failure` is written once, before `done` is signalled, and read only after it.
    private let done = DispatchSemaphore(value: 0)
    private var failure: Int32 = 0
    private let what: String

    /// Syncs `fd`, which `owner` keeps open until the sync is over.
    init(fd: Int32, of what: String, keepingOpen owner: (any AnyObject & Sendable)? = nil) {
        self.what = what
        start { withExtendedLifetime(owner) { fsync(fd) == 0 ? 0 : errno } }
    }

    /// Syncs a directory (after a new name in it), opened here: an open that fails throws now.
    init(directory path: String) throws {
        what = path
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("cannot open \(path)", errno: errno) }
        start {
            defer { close(fd) }
            return fsync(fd) == 0 ? 0 : errno
        }
    }

    private func start(_ sync: @escaping @Sendable () -> Int32) {
        DispatchQueue.global().async { [self] in
            failure = sync()
            done.signal()
        }
    }

    /// Returns once the sync is over; throws if it failed. May be called more than once.
    func wait() throws {
        done.wait()
        done.signal()
        guard failure != 0 else { return }
        throw StoreError.failed(failure, "making \(what) durable")
    }
}
