/// Turns archive headers, in archive order, into a complete and consistent tree with the
/// semantics of extracting the archive (`tar -x`, `cpio -idm`):
/// - a later entry for the same path replaces the earlier one (a directory keeps its
///   place and takes the later metadata);
/// - parent directories missing from the archive are synthesized (mode `0755`, owner
///   absent, the mtime of the first entry inside them, `archiveIndex` nil);
/// - an entry below a non-directory (a file or a symlink) is rejected, as is replacing a
///   non-empty directory by a non-directory: both would write outside the tree;
/// - hard links point at the entry that holds the bytes. cpio (RPM payloads) stores a
///   link group's bytes with its *last* member; when that member arrives the group is
///   re-pointed to it, so every link reads the same bytes as `cpio -idm` writes. The
///   re-pointing is applied once, when `entries` is read: done at every carrier, a tar whose
///   100,000 hard links each carry bytes took 65 s to list.
struct PayloadTreeBuilder {
    let format: String
    let limits: PayloadLimits
    /// The entries as added, link groups not yet re-pointed to their last carrier.
    private var added: [PayloadEntry] = []
    private var position: [String: Int] = [:]
    private var nonEmptyDirectories: Set<String> = []
    /// A link group's first dataIndex → positions (in `added`) of the entries reading its bytes.
    private var linkGroups: [Int: [Int]] = [:]
    /// The dataIndex of a later carrier → its group's first dataIndex.
    private var groupOf: [Int: Int] = [:]
    /// A group's first dataIndex → the member that carries its bytes now, when that moved.
    private var carriers: [Int: (index: Int, path: String, size: Int64)] = [:]
    private(set) var headerCount = 0
    private(set) var declaredTotal: Int64 = 0
    private var pathBytes = 0

    init(format: String, limits: PayloadLimits) {
        self.format = format
        self.limits = limits
    }

    /// The tree: every link group's members read its last carrier's bytes.
    var entries: [PayloadEntry] {
        var entries = added
        for (group, carrier) in carriers {
            for m in linkGroups[group] ?? [] where m != position[carrier.path] {
                // Only members still in the group: a later entry of the same path replaced others.
                guard let key = entries[m].dataIndex, self.group(of: key) == group else { continue }
                entries[m].kind = .hardlink
                entries[m].linkTarget = carrier.path
                entries[m].size = carrier.size
                entries[m].dataIndex = carrier.index
            }
        }
        return entries
    }

    private func group(of dataIndex: Int) -> Int { groupOf[dataIndex] ?? dataIndex }

    /// Checks the entry count before anything else is looked at.
    mutating func countHeader() throws {
        headerCount += 1
        if headerCount > limits.maxEntries {
            throw FormatError.limitExceeded(what: "number of entries in the \(format) payload",
                                            limit: limits.maxEntries)
        }
    }

    mutating func add(_ h: PayloadHeader) throws {
        guard let path = try PayloadPath.normalize(h.rawPath, format: format, index: h.index) else {
            return  // the payload root ("./"): the mount supplies its own
        }
        if path.utf8.count > limits.maxPathLength {
            throw FormatError.limitExceeded(what: "path length of entry #\(h.index)",
                                            limit: limits.maxPathLength)
        }
        try makeParents(of: path, mtime: h.mtime, index: h.index)
        if position[path] == nil { try countPath(path) }

        var entry = PayloadEntry(path: path, kind: .other, mode: h.mode, size: 0, mtime: h.mtime,
                                 uid: h.uid, gid: h.gid, userName: h.userName,
                                 groupName: h.groupName, archiveIndex: h.index)
        if let rawTarget = h.hardlink {
            try addHardLink(&entry, rawTarget: rawTarget, size: h.size ?? 0, index: h.index)
            return
        }
        switch h.fileType {
        case PayloadHeader.regular:
            entry.kind = .file
            entry.size = max(0, h.size ?? 0)
            entry.dataIndex = h.index
            try declare(entry.size)
        case PayloadHeader.directory:
            entry.kind = .directory
        case PayloadHeader.symbolicLink:
            entry.kind = .symlink
            entry.linkTarget = h.symlink ?? ""
        default:
            entry.kind = .other
        }
        let at = try place(entry)
        if entry.kind == .file { linkGroups[h.index, default: []].append(at) }
    }

    private mutating func declare(_ size: Int64) throws {
        let (sum, overflow) = declaredTotal.addingReportingOverflow(size)
        declaredTotal = overflow ? .max : sum
        if declaredTotal > limits.maxTotalSize {
            throw FormatError.limitExceeded(what: "total declared size of the \(format) payload",
                                            limit: Int(limits.maxTotalSize))
        }
    }

    private mutating func addHardLink(_ entry: inout PayloadEntry, rawTarget: String,
                                      size: Int64, index: Int) throws {
        guard let targetPath = try PayloadPath.normalize(rawTarget, format: format, index: index),
              let targetAt = position[targetPath] else {
            throw FormatError.invalid(
                format: format,
                reason: "hard link '\(entry.path)' (entry #\(index)) points to '\(rawTarget)', which is not an earlier entry")
        }
        let target = added[targetAt]
        guard target.kind == .file || target.kind == .hardlink, let targetKey = target.dataIndex else {
            throw FormatError.invalid(
                format: format,
                reason: "hard link '\(entry.path)' (entry #\(index)) points to '\(targetPath)', which is a \(target.kind.rawValue)")
        }
        if targetPath == entry.path {
            throw FormatError.invalid(format: format,
                                      reason: "hard link '\(entry.path)' (entry #\(index)) points to itself")
        }
        entry.mode = (entry.mode & ~PayloadHeader.typeMask) | PayloadHeader.regular
        let group = self.group(of: targetKey)
        if size > 0 {
            // cpio: this member carries the group's bytes; the earlier members become links to it.
            try declare(size)
            entry.kind = .file
            entry.size = size
            entry.dataIndex = index
            let at = try place(entry)
            groupOf[index] = group
            carriers[group] = (index, entry.path, size)
            linkGroups[group, default: []].append(at)
        } else {
            let carrier = carriers[group]
            entry.kind = .hardlink
            entry.linkTarget = carrier?.path ?? target.dataPath
            entry.size = carrier?.size ?? target.size
            entry.dataIndex = carrier?.index ?? targetKey
            let at = try place(entry)
            linkGroups[group, default: []].append(at)
        }
    }

    /// Inserts or replaces; returns the entry's position.
    private mutating func place(_ entry: PayloadEntry) throws -> Int {
        if let at = position[entry.path] {
            let old = added[at]
            if old.kind == .directory && entry.kind != .directory
                && nonEmptyDirectories.contains(entry.path) {
                throw FormatError.invalid(
                    format: format,
                    reason: "entry #\(entry.archiveIndex ?? -1) '\(entry.path)' would replace a non-empty directory by a \(entry.kind.rawValue)")
            }
            added[at] = entry
            return at
        }
        added.append(entry)
        position[entry.path] = added.count - 1
        return added.count - 1
    }

    private mutating func makeParents(of path: String, mtime: Int64, index: Int) throws {
        // Up from the parent to the first directory already known to hold something: its
        // ancestors were all made and checked then, and none can have been replaced since (see
        // `place`). Walking down from the root for every new directory was quadratic in depth.
        var missing: [String] = []
        var end = path.utf8.lastIndex(of: UInt8(ascii: "/"))
        while let slash = end {
            let dir = String(path[..<slash])
            if let at = position[dir] {
                let kind = added[at].kind
                if kind != .directory {
                    throw FormatError.invalid(
                        format: format,
                        reason: "entry #\(index) '\(path)' lies below '\(dir)', which is a \(kind.rawValue), not a directory")
                }
                if nonEmptyDirectories.contains(dir) { break }
                nonEmptyDirectories.insert(dir)
            } else {
                missing.append(dir)
            }
            end = path[..<slash].utf8.lastIndex(of: UInt8(ascii: "/"))
        }
        for dir in missing.reversed() {
            try countPath(dir)
            added.append(PayloadEntry(path: dir, kind: .directory, mode: PayloadHeader.directory | 0o755,
                                      size: 0, mtime: mtime))
            position[dir] = added.count - 1
            nonEmptyDirectories.insert(dir)
        }
    }

    private mutating func countPath(_ path: String) throws {
        pathBytes += path.utf8.count
        if pathBytes > limits.maxTotalPathBytes {
            throw FormatError.limitExceeded(what: "total length of the paths in the \(format) payload",
                                            limit: limits.maxTotalPathBytes)
        }
    }
}
