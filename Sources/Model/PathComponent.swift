/// Makes any field value usable as one directory name: no `/`, no NUL, not `.` or `..`, not empty.
/// Hostile headers and odd file names must never create paths outside their directory.
public enum PathComponent {
    public static let unknown = "unknown"

    /// `safe`, and a name the tree itself uses at that level (`reserved`) gets a leading `_`:
    /// a version named `latest` or a type named `incoming` must not hide the tree's own.
    public static func safe(_ value: String?, reserved: Set<String>) -> String {
        let out = safe(value)
        return reserved.contains(out) ? "_" + out : out
    }

    public static func safe(_ value: String?) -> String {
        guard let value, !value.isEmpty else { return unknown }
        // Scalar by scalar: "/" followed by a combining mark is one Character, which a
        // Character-wise replacement keeps, and a "/" in a name makes readdir of the whole
        // parent directory fail (EIO).
        var scalars = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            scalars.append(scalar == "/" || scalar == "\0" ? "_" : scalar)
        }
        var out = String(scalars)
        if out == "." || out == ".." { out = out.replacingOccurrences(of: ".", with: "_") }
        // NAME_MAX is 255 bytes. Cut whole scalars: one Character (a letter with hundreds of
        // combining marks) can be longer than that, and cutting it would leave nothing.
        while out.utf8.count > 255 { out.unicodeScalars.removeLast() }
        return out
    }
}
