/// Reads tar headers in order and stops at the root `package.json`, without building the
/// full listing: cheap for `BundleVerifier.isBundle(path:)`, and able to read the
/// manifest of a bundle that `listPayload` rejects (so a corrupt bundle still shows its
/// name and version). Paths that `listPayload` would reject are skipped here, not
/// reported; the verifier reports them from `listPayload`.
enum BundleScan {
    /// Whether a regular file (or hard link) with the normalized path `package.json` is
    /// in the tar; false too when the file is not a tar libarchive can read. With `read`,
    /// the member's bytes are returned as well, unless it is a hard link, larger than
    /// `maxBytes`, or unreadable.
    static func findManifest(path: String, read: Bool,
                             maxBytes: Int = BundleFieldLimits.maxManifestBytes) -> (found: Bool, bytes: [UInt8]?) {
        guard let archive = try? ArchiveHandle(path: path, format: "tar", reads: .tar) else {
            return (false, nil)
        }
        var index = 0
        while true {
            guard let entry = try? archive.nextHeader() else { return (false, nil) }
            let header = PayloadHeader(entry: entry, index: index)
            index += 1
            let normalized = (try? PayloadPath.normalize(header.rawPath, format: "tar", index: header.index)) ?? nil
            guard normalized == BundleLayout.manifestPath,
                  header.hardlink != nil || header.fileType == PayloadHeader.regular else { continue }
            // A hard link's bytes are another member's: found, but not read here.
            guard read, header.hardlink == nil else { return (true, nil) }
            guard let size = header.size, size <= Int64(maxBytes) else { return (true, nil) }
            var bytes = [UInt8](repeating: 0, count: Int(size))
            var filled = 0
            while filled < bytes.count {
                let n = bytes.withUnsafeMutableBytes { buf in
                    try? archive.readData(buf.baseAddress! + filled, count: buf.count - filled)
                }
                guard let n, n > 0 else { return (true, nil) }
                filled += n
            }
            return (true, bytes)
        }
    }
}
