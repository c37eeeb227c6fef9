import Crypto

/// SHA-256 of one bundle member, streamed through `PayloadReader` one chunk at a time:
/// at most `chunkSize` bytes of the member are in memory, whatever its size, and a
/// sequential walk reuses the reader's cursor, so the archive is decompressed once.
enum BundleDigest {
    /// 1 MiB.
    static let chunkSize = 1 << 20

    /// `sha256:<64 lowercase hex>` of `entry`'s bytes. `observe` sees each chunk's length
    /// (tests check the streaming). Throws `FormatError` when the member cannot be read
    /// (truncated, more bytes than declared, libarchive error).
    static func sha256(of entry: PayloadEntry, reader: PayloadReader,
                       chunkSize: Int = BundleDigest.chunkSize,
                       observe: ((Int) -> Void)? = nil) throws -> String {
        var hasher = SHA256()
        var offset: Int64 = 0
        while offset < entry.size {
            let chunk = try reader.read(entry, offset: offset, length: chunkSize)
            if chunk.isEmpty {
                throw FormatError.truncated(needed: Int(entry.size), available: Int(offset))
            }
            observe?(chunk.count)
            hasher.update(data: chunk)
            offset += Int64(chunk.count)
        }
        return "sha256:" + Hex.string(hasher.finalize())
    }
}
