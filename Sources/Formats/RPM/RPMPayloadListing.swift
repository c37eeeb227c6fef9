extension RPMPackage {
    /// Whether ``payloadListing(limits:)`` can stand for the payload's own listing: a cpio
    /// payload whose members carry their paths. rpm writes files over 4 GiB (LONGFILESIZES,
    /// `rpmlib(LargeFiles)`) in its "stripped" cpio, which names members by file index only.
    public var listsPayloadFromHeader: Bool {
        (payloadFormat ?? "cpio") == "cpio" && !requires.contains { $0.name == "rpmlib(LargeFiles)" }
    }

    /// The payload's members as the main header describes them, with no decompression: the
    /// same tree (paths, kinds, modes, sizes, mtimes, link targets, archive and data indexes)
    /// that `listPayload(path:container: .rpm)` reads out of the cpio archive that rpm ≥ 4.12
    /// writes, plus the owner and group names the header records.
    ///
    /// Built through the same `PayloadTreeBuilder` as the archive's listing, so the same path,
    /// hard-link and size limits apply. Readers check each member's path when they reach its
    /// index; `PayloadReader` falls back to the archive's own listing if another builder
    /// ordered the archive differently.
    public func payloadListing(limits: PayloadLimits = .default) throws -> [PayloadEntry] {
        var builder = PayloadTreeBuilder(format: PayloadContainer.rpm.formatName, limits: limits)
        for header in archiveHeaders() {
            try builder.countHeader()
            try builder.add(header)
        }
        return builder.entries
    }

    /// The cpio headers rpm ≥ 4.12 writes (lib/rpmfi.c, iterWriteArchiveNextFile): every file
    /// but %ghosts and hard-linked ones, in header order; then each hard-link set, its members
    /// in header order, all empty but the last, which carries the bytes.
    func archiveHeaders() -> [PayloadHeader] {
        let linkSets = hardLinkSets()
        var inSet = Set<Int>()
        for set in linkSets { inSet.formUnion(set) }
        var order: [(file: Int, firstLink: Int?, carriesBytes: Bool)] = []
        order.reserveCapacity(files.count)
        for i in files.indices where !files[i].isGhost && !inSet.contains(i) {
            order.append((i, nil, true))
        }
        for set in linkSets {
            for i in set { order.append((i, i == set[0] ? nil : set[0], i == set.last)) }
        }
        return order.enumerated().map { index, item in
            let file = files[item.file]
            let mode = UInt32(truncatingIfNeeded: file.mode) & 0xFFFF
            let type = mode & PayloadHeader.typeMask
            let isRoot = { (name: String?) in name == "root" ? Int64(0) : nil }
            // Source packages' paths are bare names; rpm prefixes "." to absolute ones only.
            let raw = { (path: String) in path.hasPrefix("/") ? "." + path : path }
            return PayloadHeader(
                index: index, rawPath: raw(file.path), fileType: type, mode: mode,
                size: type == PayloadHeader.regular && item.carriesBytes ? Int64(file.size) : 0,
                mtime: Int64(file.mtime),
                symlink: type == PayloadHeader.symbolicLink ? (file.linkTarget ?? "") : nil,
                hardlink: item.firstLink.map { raw(files[$0].path) },
                uid: isRoot(file.user), gid: isRoot(file.group),
                userName: file.user, groupName: file.group)
        }
    }

    /// rpm's hard-link sets (rpmfilesBuildNLink): regular, non-ghost files that share a device
    /// and an inode, two or more to a set, each set in header order, sets by their first member.
    private func hardLinkSets() -> [[Int]] {
        struct FileID: Hashable { let device: Int; let inode: Int }
        var members: [FileID: [Int]] = [:]
        var firstSeen: [FileID] = []
        for (i, file) in files.enumerated() where file.isRegularFile && !file.isGhost {
            guard let inode = file.inode, inode > 0 else { continue }
            let id = FileID(device: file.device ?? 0, inode: inode)
            if members[id] == nil { firstSeen.append(id) }
            members[id, default: []].append(i)
        }
        return firstSeen.compactMap { members[$0]!.count > 1 ? members[$0] : nil }
    }
}
