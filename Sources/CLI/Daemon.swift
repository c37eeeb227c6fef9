import Foundation
import PkgfsFUSE

/// Starts `pkgfs mount --foreground` as a detached process and waits until its mount is live.
/// glibc's POSIX_SPAWN_SETSID, hidden from Swift behind _GNU_SOURCE.
private let posixSpawnSetSID: Int32 = 0x80

enum Daemon {
    static func start(arguments: [String], logPath: String, mountPoint: String, timeout: Double = 60) throws {
        let executable = try selfExecutable()
        let logStart = (try? FileManager.default.attributesOfItem(atPath: logPath)[.size] as? Int) ?? 0
        let pid = try spawn(executable, arguments, logPath: logPath)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if MountTable.fsType(at: mountPoint) == MountTable.pkgfsType { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw CLIError("pkgfs could not mount \(mountPoint):\n" + logTail(logPath, from: logStart))
            }
            usleep(20_000)
        }
        kill(pid, SIGTERM)
        throw CLIError("the mount at \(mountPoint) did not come up within \(Int(timeout)) s:\n" + logTail(logPath, from: logStart))
    }

    static func selfExecutable() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw CLIError("cannot find the pkgfs executable (/proc/self/exe)") }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A new session (no terminal signals), stdin from /dev/null, stdout and stderr to the log.
    private static func spawn(_ executable: String, _ arguments: [String], logPath: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o640)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Descriptors the caller let us inherit (a test harness's pipes, say) must not stay open
        // for the daemon's lifetime: whoever reads them would wait for EOF forever.
        for fd in inheritedDescriptors() { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(posixSpawnSetSID))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw CLIError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        return pid
    }

    private static func inheritedDescriptors() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { Int32($0) }.filter { fd in
            fd > 2 && fcntl(fd, F_GETFD) >= 0 && fcntl(fd, F_GETFD) & FD_CLOEXEC == 0
        }
    }

    private static func logTail(_ path: String, from offset: Int) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "(no log at \(path))" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: UInt64(offset))
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").suffix(20).joined(separator: "\n")
    }
}
