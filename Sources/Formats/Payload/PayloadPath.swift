/// Path rules for payload members: what `tar -x`, `cpio -idm` and `dpkg-deb -x` would
/// write, relative to the payload root, or an error for a path that would escape it.
enum PayloadPath {
    /// The normalized form of `raw`: no leading `./` or `/`, no `.` or empty components,
    /// no trailing `/`. Returns nil for the payload root itself (`.`, `./`).
    /// Throws for an absolute path, a `..` component or an empty name: these are
    /// reported, never silently dropped or rewritten.
    static func normalize(_ raw: String, format: String, index: Int) throws -> String? {
        if raw.isEmpty {
            throw FormatError.invalid(format: format, reason: "entry #\(index) has an empty path")
        }
        if raw.hasPrefix("/") {
            throw FormatError.invalid(format: format,
                                      reason: "entry #\(index) has an absolute path '\(raw)'")
        }
        // The usual path, "./a/b" or "a/b", has nothing to clean: no split and join.
        let body = raw.hasPrefix("./") ? raw.dropFirst(2) : Substring(raw)
        if isClean(body.utf8) { return String(body) }
        var parts: [Substring] = []
        for part in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                throw FormatError.invalid(
                    format: format,
                    reason: "entry #\(index) path '\(raw)' escapes the payload root ('..' component)")
            }
            parts.append(part)
        }
        if parts.isEmpty { return nil }
        return parts.joined(separator: "/")
    }

    /// True when `path` is already normalized: not empty, no leading or trailing `/`, no
    /// empty, `.` or `..` component.
    private static func isClean(_ path: Substring.UTF8View) -> Bool {
        var length = 0, dots = 0
        for byte in path {
            if byte == UInt8(ascii: "/") {
                if length == 0 || (length == dots && dots <= 2) { return false }
                length = 0
                dots = 0
            } else {
                length += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return length > 0 && !(length == dots && dots <= 2)
    }

    /// The parent directories of a normalized path, outermost first
    /// (`a/b/c` → `a`, `a/b`).
    static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var idx = path.startIndex
        while let slash = path[idx...].firstIndex(of: "/") {
            result.append(String(path[..<slash]))
            idx = path.index(after: slash)
        }
        return result
    }
}
