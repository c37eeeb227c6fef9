/// Makes any field value usable as one directory name: no `/`, no NUL, not `.` or `..`, not empty.
/// Hostile headers and odd file names must never create paths outside their directory.
public enum PathComponent {
    public static let unknown = "unknown"

    public static func safe(_ value: String?) -> String {
        guard let value, !value.isEmpty else { return unknown }
        var out = String(value.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        if out == "." || out == ".." { out = out.replacingOccurrences(of: ".", with: "_") }
        // NAME_MAX is 255 bytes.
        while out.utf8.count > 255 { out.removeLast() }
        return out
    }
}
