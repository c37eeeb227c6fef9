/// How a payload is packed in the file given to `listPayload` / `PayloadReader`.
public enum PayloadContainer: String, Sendable, Codable, Equatable {
    /// An `.rpm` file: libarchive's rpm filter skips lead, signature and header, the
    /// payload compression (gzip, xz, zstd, bzip2, lzma) is detected, and the cpio
    /// archive inside is read.
    case rpm
    /// A tar archive, uncompressed or compressed with gzip, bzip2, xz, lzma, zstd, lz4,
    /// or `compress`.
    case tar
    /// A zip archive (read through its central directory).
    case zip
    /// The `data.tar[.gz|.xz|.zst|.bz2|.lzma]` member of a `.deb` ar archive; only that
    /// member's byte range of the file is read.
    case debData

    /// How errors name this payload: "rpm payload", "tar", "zip", "deb data.tar".
    var formatName: String {
        switch self {
        case .rpm: return "rpm payload"
        case .tar: return "tar"
        case .zip: return "zip"
        case .debData: return "deb data.tar"
        }
    }
}
