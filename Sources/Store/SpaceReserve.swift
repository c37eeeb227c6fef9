import Foundation
import Synchronization

/// `reserve` in the store: disk space held back so that deleting packages still works when
/// the disk is full. A delete writes to the catalog (its WAL may have to grow) before it frees
/// a blob; with no byte free it failed with ENOSPC and nothing could make room. The reserve is
/// given back for a delete that failed so, and taken again once there is room.
final class SpaceReserve: Sendable {
    static let size: Int64 = 8 << 20
    private let path: String
    private let held = Mutex(false)

    init(path: String) {
        self.path = path
    }

    var isHeld: Bool { held.withLock { $0 } }

    /// Takes the reserve unless it is held already; false when there is no room for it.
    @discardableResult
    func take() -> Bool {
        held.withLock { held in
            if !held { held = Self.allocate(path) }
            return held
        }
    }

    /// Gives the space back; false when none was held.
    func release() -> Bool {
        held.withLock { held in
            guard held else { return false }
            held = false
            return unlink(path) == 0
        }
    }

    private static func allocate(_ path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0 && st.st_blocks * 512 >= size { return true }
        var rc = posix_fallocate(fd, 0, off_t(size))
        if rc == EOPNOTSUPP || rc == EINVAL { rc = writeZeros(fd) }
        if rc != 0 { unlink(path) }
        return rc == 0
    }

    /// For filesystems without fallocate: the blocks are only taken once written.
    private static func writeZeros(_ fd: Int32) -> Int32 {
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        while offset < size {
            let n = chunk.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if n <= 0 { return n < 0 ? errno : EIO }
            offset += Int64(n)
        }
        return fsync(fd) == 0 ? 0 : errno
    }
}
