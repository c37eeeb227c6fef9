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
    private static func unescape(_ s: String) -> String {
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
