import Foundation

/// One process serves a store at a time: it clears the store's unfinished uploads at start,
/// which would destroy another process's uploads in flight. The lock file holds the pid.
final class StoreLock: @unchecked Sendable {
    // @unchecked: `fd` is only closed once, in `release`, guarded by `lock`.
    private var fd: Int32
    private let lock = NSLock()

    init(path: String) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io("cannot open lock file \(path)", errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(fd)
            throw StoreError.conflict("the store is in use by another pkgfs process (pid \(holder)); unmount it first")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
    }

    func release() {
        lock.withLock {
            guard fd >= 0 else { return }
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
