/// Lists the members of a payload by reading headers only (`archive_read_data_skip`; a
/// compressed stream is still decompressed to reach the next header, but no data is
/// kept). The result is a complete tree, in archive order with synthesized parent
/// directories placed before their first child; see `PayloadTreeBuilder` for the rules.
///
/// Throws `FormatError`:
/// - `.invalid` for a path with a `..` component or an absolute path, an entry below a
///   non-directory, a dangling hard link, or any libarchive error (its message);
/// - `.limitExceeded` when the archive has more than `limits.maxEntries` headers, the
///   declared sizes of its files add up to more than `limits.maxTotalSize`, or a path is
///   longer than `limits.maxPathLength`;
/// - `.io` when the file cannot be read; `.badMagic`/`.truncated` for a broken .deb.
public func listPayload(path: String, container: PayloadContainer,
                        limits: PayloadLimits = .default) throws -> [PayloadEntry] {
    try listPayload(PayloadLocation(path: path, container: container), limits: limits)
}

/// `listPayload` of a location already open.
func listPayload(_ location: PayloadLocation, limits: PayloadLimits = .default) throws -> [PayloadEntry] {
    try listPayload(location, limits: limits, stoppingAt: nil) ?? []
}

/// A tar's listing, or nil as soon as a root `package.json` (a file or a hard link) turns
/// up: one pass that tells a bundle (SPEC §5) from a plain tar, and lists the plain one.
public func listTarUnlessBundle(path: String, limits: PayloadLimits = .default) throws -> [PayloadEntry]? {
    try listPayload(PayloadLocation(path: path, container: .tar), limits: limits, stoppingAt: { header, normalized in
        normalized == BundleLayout.manifestPath && (header.hardlink != nil || header.fileType == PayloadHeader.regular)
    })
}

/// Whether the archive opens and its first member is the first archive entry of `listing`
/// (none for an empty listing): a check of a listing made without reading the archive
/// (`RPMPackage.payloadListing`) that costs one header, not a decompression of the payload.
public func payloadStarts(path: String, container: PayloadContainer, as listing: [PayloadEntry]) -> Bool {
    let raw: String?
    do {
        let archive = try PayloadLocation(path: path, container: container).open()
        raw = try archive.nextHeader().map { PayloadHeader(entry: $0, index: 0).rawPath }
    } catch {
        return false
    }
    let expected = listing.first { $0.archiveIndex == 0 }
    guard let raw else { return expected == nil }
    return expected != nil
        && (try? PayloadPath.normalize(raw, format: container.formatName, index: 0)) == expected?.path
}

/// nil when `stop` says so for a header (given with its normalized path).
private func listPayload(_ location: PayloadLocation, limits: PayloadLimits,
                         stoppingAt stop: ((PayloadHeader, String?) -> Bool)?) throws -> [PayloadEntry]? {
    let archive = try location.open(wholePass: true)
    var builder = PayloadTreeBuilder(format: location.format, limits: limits)
    var index = 0
    while let entry = try archive.nextHeader() {
        try builder.countHeader()
        var header = PayloadHeader(entry: entry, index: index)
        if let stop, stop(header, try? PayloadPath.normalize(header.rawPath, format: location.format, index: index)) {
            return nil
        }
        if header.size == nil && header.fileType == PayloadHeader.regular && header.hardlink == nil {
            // Size not declared (streamed zip): count the bytes, bounded by what is left
            // of the total-size limit.
            header.size = try measure(archive, remaining: limits.maxTotalSize - builder.declaredTotal,
                                      limit: limits.maxTotalSize, format: location.format)
        } else {
            try archive.skipData()
        }
        try builder.add(header)
        index += 1
    }
    try archive.readSourceToEnd()
    return builder.entries
}

private func measure(_ archive: ArchiveHandle, remaining: Int64, limit: Int64,
                     format: String) throws -> Int64 {
    let chunk = 64 * 1024
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
    defer { buffer.deallocate() }
    var total: Int64 = 0
    while true {
        let n = try archive.readData(buffer, count: chunk)
        if n == 0 { return total }
        total += Int64(n)
        if total > remaining {
            throw FormatError.limitExceeded(what: "total declared size of the \(format) payload",
                                            limit: Int(limit))
        }
    }
}
