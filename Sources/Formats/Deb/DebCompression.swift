/// The compression of a `.deb` member, as its name tells (`data.tar.xz` → `.xz`).
public enum DebCompression: String, Sendable, Codable, Equatable, CaseIterable {
    case none, gzip, xz, zstd, bzip2, lzma

    /// The compression named by what follows `prefix` ("control.tar", "data.tar") in
    /// `name`; nil when the name is not `prefix` or `prefix` + a known suffix.
    public init?(member name: String, prefix: String) {
        guard name.hasPrefix(prefix) else { return nil }
        switch name.dropFirst(prefix.count) {
        case "": self = .none
        case ".gz": self = .gzip
        case ".xz": self = .xz
        case ".zst": self = .zstd
        case ".bz2": self = .bzip2
        case ".lzma": self = .lzma
        default: return nil
        }
    }
}
