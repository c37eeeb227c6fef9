/// Limits that protect the mount from hostile payloads. Exceeding one is a
/// `FormatError.limitExceeded`, never a partial result.
public struct PayloadLimits: Sendable, Codable, Equatable {
    /// Most archive headers a payload may have (synthesized directories not counted).
    public var maxEntries: Int
    /// Largest sum of the declared sizes of all regular files.
    public var maxTotalSize: Int64
    /// Longest normalized path, in UTF-8 bytes.
    public var maxPathLength: Int
    /// Largest sum of the path lengths of all entries, synthesized directories included: the
    /// catalog stores every path (three times, with its indexes), and 20,000 files 2,000
    /// directories deep (a 795 KB tar.gz) grew it by 690 MB.
    public var maxTotalPathBytes: Int

    public init(maxEntries: Int = 1_000_000,
                maxTotalSize: Int64 = 64 << 30,
                maxPathLength: Int = 4096,
                maxTotalPathBytes: Int = 128 << 20) {
        self.maxEntries = maxEntries
        self.maxTotalSize = maxTotalSize
        self.maxPathLength = maxPathLength
        self.maxTotalPathBytes = maxTotalPathBytes
    }

    public static let `default` = PayloadLimits()
}
