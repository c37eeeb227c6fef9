import Foundation

/// What is at a mount point before we mount there.
public enum MountPointStatus: Equatable, Sendable {
    case ready
    case missing
    case notADirectory
    /// A FUSE mount whose process died: "Transport endpoint is not connected".
    case stale
    /// Something is mounted there and answering.
    case mounted(fsType: String)

    public static func check(_ path: String) -> MountPointStatus {
        var st = stat()
        if stat(path, &st) != 0 {
            switch errno {
            case ENOTCONN: return .stale
            case ENOENT: return .missing
            default: return .missing
            }
        }
        if let type = MountTable.fsType(at: path) {
            // stat may be answered from the kernel's attribute cache after the daemon died;
            // statfs always reaches the daemon, so it tells a live mount from a dead one.
            var fs = statvfs()
            if statvfs(path, &fs) != 0 && errno == ENOTCONN { return .stale }
            return .mounted(fsType: type)
        }
        return st.st_mode & S_IFMT == S_IFDIR ? .ready : .notADirectory
    }
}

/// Reads /proc/self/mountinfo.
public enum MountTable {
    /// The type of a pkgfs mount in the mount table.
    public static let pkgfsType = "fuse.pkgfs"

    /// The filesystem type mounted exactly at `path`, if any (e.g. `fuse.pkgfs`).
    public static func fsType(at path: String) -> String? {
        let target = canonical(path)
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        var found: String?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { continue }
            if unescape(String(fields[4])) == target { found = String(fields[dash + 1]) }
        }
        return found
    }

    /// An absolute path with symlinks resolved where possible (a stale mount cannot be resolved).
    public static func canonical(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        if let resolved = realpath(absolute, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        return (absolute as NSString).standardizingPath
    }

    /// mountinfo escapes space, tab, newline and backslash as octal.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = [UInt8]()
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count,
               let v = UInt8(String(decoding: bytes[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The kernel side of a pkgfs mount: /sys/fs/fuse/connections/<N>.
public enum FuseConnection {
    /// Aborts the connection of the pkgfs mount at `path` when the process that served it is
    /// gone or a zombie. A daemon killed while one of its threads was telling the kernel to drop
    /// a name (`notify_inval_entry` waits for the directory's lock) while a request held that
    /// lock (a `cp` creating a file there, waiting for the answer) never finishes dying: the
    /// thread cannot be killed, the connection stays open, and every process using the mount
    /// waits forever. Aborting it fails those requests and lets the daemon go. True if aborted.
    /// Decided from the mount table and the store's lock file: nothing here touches the mount.
    public static func abortIfOrphaned(_ path: String) -> Bool {
        guard let mount = pkgfsMount(at: lexicallyAbsolute(path)),
              let pid = servingPID(store: mount.store), !isAlive(pid) else { return false }
        // A daemon that died the usual way took its connection down with it: nothing waits.
        let connection = "/sys/fs/fuse/connections/\(mount.connection)"
        guard let waiting = try? String(contentsOfFile: connection + "/waiting", encoding: .utf8),
              Int(waiting.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 0,
              let handle = FileHandle(forWritingAtPath: connection + "/abort") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("1".utf8))) != nil
    }

    /// `path` made absolute and without `.`, `..` and repeated slashes, by its text alone:
    /// resolving it (`realpath`, Foundation's `standardizingPath`) stats the mount itself.
    static func lexicallyAbsolute(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The connection number (the device minor) and the store of a pkgfs mount, from mountinfo.
    static func pkgfsMount(at target: String) -> (connection: String, store: String)? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        var found: (String, String)?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4, let dash = fields.firstIndex(of: "-"), dash + 2 < fields.count,
                  MountTable.unescape(String(fields[4])) == target, fields[dash + 1] == MountTable.pkgfsType,
                  fields[2].hasPrefix("0:"), fields[dash + 2].hasPrefix("pkgfs:") else { continue }
            found = (String(fields[2].dropFirst(2)), MountTable.unescape(String(fields[dash + 2].dropFirst("pkgfs:".count))))
        }
        return found
    }

    private static func servingPID(store: String) -> Int32? {
        guard let text = try? String(contentsOfFile: store + "/pkgfs.lock", encoding: .utf8) else { return nil }
        return Int32(text.filter(\.isNumber))
    }

    /// Running and not a zombie (a zombie whose thread is stuck in the kernel still holds its files).
    private static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
