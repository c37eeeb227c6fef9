/// Limits that protect the mount from hostile payloads. Exceeding one is a
/// `FormatError.limitExceeded`, never a partial result.
public struct PayloadLimits: Sendable, Codable, Equatable {
    /// Most archive headers a payload may have (synthesized directories not counted).
    public var maxEntries: Int
    /// Largest sum of the declared sizes of all regular files.
    public var maxTotalSize: Int64
    /// Longest normalized path, in UTF-8 bytes.
    public var maxPathLength: Int

    public init(maxEntries: Int = 1_000_000,
                maxTotalSize: Int64 = 64 << 30,
                maxPathLength: Int = 4096) {
        self.maxEntries = maxEntries
        self.maxTotalSize = maxTotalSize
        self.maxPathLength = maxPathLength
    }

    public static let `default` = PayloadLimits()
}
