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
///   re-pointed to it, so every link reads the same bytes as `cpio -idm` writes.
struct PayloadTreeBuilder {
    let format: String
    let limits: PayloadLimits
    private(set) var entries: [PayloadEntry] = []
    private var position: [String: Int] = [:]
    private var nonEmptyDirectories: Set<String> = []
    /// dataIndex → positions (in `entries`) of the entries reading those bytes.
    private var linkGroups: [Int: [Int]] = [:]
    private(set) var headerCount = 0
    private(set) var declaredTotal: Int64 = 0

    init(format: String, limits: PayloadLimits) {
        self.format = format
        self.limits = limits
    }

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
        let target = entries[targetAt]
        guard target.kind == .file || target.kind == .hardlink, let groupKey = target.dataIndex else {
            throw FormatError.invalid(
                format: format,
                reason: "hard link '\(entry.path)' (entry #\(index)) points to '\(targetPath)', which is a \(target.kind.rawValue)")
        }
        if targetPath == entry.path {
            throw FormatError.invalid(format: format,
                                      reason: "hard link '\(entry.path)' (entry #\(index)) points to itself")
        }
        entry.mode = (entry.mode & ~PayloadHeader.typeMask) | PayloadHeader.regular
        if size > 0 {
            // cpio: this member carries the group's bytes; the earlier members become links to it.
            try declare(size)
            entry.kind = .file
            entry.size = size
            entry.dataIndex = index
            let at = try place(entry)
            let members = linkGroups.removeValue(forKey: groupKey) ?? []
            for m in members where m != at && entries[m].dataIndex == groupKey {
                entries[m].kind = .hardlink
                entries[m].linkTarget = entry.path
                entries[m].size = size
                entries[m].dataIndex = index
            }
            linkGroups[index] = members.filter { $0 != at } + [at]
        } else {
            entry.kind = .hardlink
            entry.linkTarget = target.dataPath
            entry.size = target.size
            entry.dataIndex = groupKey
            let at = try place(entry)
            linkGroups[groupKey, default: []].append(at)
        }
    }

    /// Inserts or replaces; returns the entry's position.
    private mutating func place(_ entry: PayloadEntry) throws -> Int {
        if let at = position[entry.path] {
            let old = entries[at]
            if old.kind == .directory && entry.kind != .directory
                && nonEmptyDirectories.contains(entry.path) {
                throw FormatError.invalid(
                    format: format,
                    reason: "entry #\(entry.archiveIndex ?? -1) '\(entry.path)' would replace a non-empty directory by a \(entry.kind.rawValue)")
            }
            entries[at] = entry
            return at
        }
        entries.append(entry)
        position[entry.path] = entries.count - 1
        return entries.count - 1
    }

    private mutating func makeParents(of path: String, mtime: Int64, index: Int) throws {
        // Most entries land in a directory already known to hold something: its ancestors were
        // all made and checked then, and none can have been replaced since (see `place`).
        if let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) {
            let parent = String(path[..<slash])
            if let at = position[parent], entries[at].kind == .directory, nonEmptyDirectories.contains(parent) { return }
        }
        for dir in PayloadPath.ancestors(of: path) {
            if let at = position[dir] {
                let kind = entries[at].kind
                if kind != .directory {
                    throw FormatError.invalid(
                        format: format,
                        reason: "entry #\(index) '\(path)' lies below '\(dir)', which is a \(kind.rawValue), not a directory")
                }
            } else {
                entries.append(PayloadEntry(path: dir, kind: .directory,
                                            mode: PayloadHeader.directory | 0o755,
                                            size: 0, mtime: mtime))
                position[dir] = entries.count - 1
            }
            nonEmptyDirectories.insert(dir)
        }
    }
}
