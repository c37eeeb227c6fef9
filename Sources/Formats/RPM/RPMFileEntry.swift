/// One file of a package's file list, as recorded in the main header (no payload needed).
public struct RPMFileEntry: Sendable, Equatable, Hashable, Codable {
    /// Absolute path: DIRNAMES[DIRINDEXES[i]] + BASENAMES[i], or OLDFILENAMES[i].
    public let path: String
    /// LONGFILESIZES[i] or FILESIZES[i].
    public let size: Int
    /// FILEMODES[i]: type and permission bits (`st_mode`).
    public let mode: Int
    /// FILEMTIMES[i], seconds since the epoch.
    public let mtime: Int
    /// FILELINKTOS[i]; nil when empty (not a symlink).
    public let linkTarget: String?
    /// FILEDIGESTS[i] in hex, in the package's ``RPMPackage/fileDigestAlgorithm``; nil when empty
    /// (directories, symlinks, ghosts).
    public let digest: String?
    /// FILEUSERNAME[i].
    public let user: String?
    /// FILEGROUPNAME[i].
    public let group: String?
    /// Raw FILEFLAGS[i] (`rpmfileAttrs`), 0 when absent.
    public let flags: UInt32
    /// FILEFLAGS decoded, in rpm's `:fflags` order: doc, config, specfile, missingok, noreplace,
    /// ghost, license, readme, artifact.
    public let attributes: [String]
    /// FILERDEVS[i] (device number of a device node).
    public let rdev: Int?
    /// FILEINODES[i]; files with equal `device` and `inode` are hard links of each other.
    public let inode: Int?
    /// FILEDEVICES[i].
    public let device: Int?

    private enum CodingKeys: String, CodingKey {
        case path, size, mode, mtime, linkTarget, digest, user, group, flags, attributes, rdev, inode, device
    }

    public init(path: String, size: Int, mode: Int, mtime: Int, linkTarget: String?, digest: String?,
                user: String?, group: String?, flags: UInt32, rdev: Int?, inode: Int?, device: Int?) {
        self.path = path
        self.size = size
        self.mode = mode
        self.mtime = mtime
        self.linkTarget = linkTarget
        self.digest = digest
        self.user = user
        self.group = group
        self.flags = flags
        self.attributes = RPMFileEntry.attributes(flags)
        self.rdev = rdev
        self.inode = inode
        self.device = device
    }

    public var isDirectory: Bool { mode & 0o170000 == 0o040000 }
    public var isRegularFile: Bool { mode & 0o170000 == 0o100000 }
    public var isSymlink: Bool { mode & 0o170000 == 0o120000 }
    public var isConfig: Bool { flags & RPMFileFlag.config != 0 }
    public var isDoc: Bool { flags & RPMFileFlag.doc != 0 }
    /// A %ghost file is listed but has no data in the payload.
    public var isGhost: Bool { flags & RPMFileFlag.ghost != 0 }
    /// Permission bits only.
    public var permissions: Int { mode & 0o7777 }

    /// rpm's `fflagsFormat` as words.
    public static func attributes(_ flags: UInt32) -> [String] {
        let table: [(UInt32, String)] = [
            (RPMFileFlag.doc, "doc"), (RPMFileFlag.config, "config"),
            (RPMFileFlag.specFile, "specfile"), (RPMFileFlag.missingOK, "missingok"),
            (RPMFileFlag.noReplace, "noreplace"), (RPMFileFlag.ghost, "ghost"),
            (RPMFileFlag.license, "license"), (RPMFileFlag.readme, "readme"),
            (RPMFileFlag.artifact, "artifact"),
        ]
        return table.filter { flags & $0.0 != 0 }.map(\.1)
    }

    /// rpm's `:fflags` letters (d c s m n g l r a).
    public var flagLetters: String {
        let letters: [String: String] = [
            "doc": "d", "config": "c", "specfile": "s", "missingok": "m", "noreplace": "n",
            "ghost": "g", "license": "l", "readme": "r", "artifact": "a",
        ]
        return attributes.compactMap { letters[$0] }.joined()
    }

    /// Builds the file list of a main header.
    static func list(from h: RPMHeader) throws -> [RPMFileEntry] {
        let paths: [String]
        if let bases = try h.strings(RPMTag.baseNames) {
            guard let dirs = try h.strings(RPMTag.dirNames) else {
                throw FormatError.invalid(format: "RPM", reason: "header: BASENAMES without DIRNAMES")
            }
            guard let idx = try h.integers(RPMTag.dirIndexes) else {
                throw FormatError.invalid(format: "RPM", reason: "header: BASENAMES without DIRINDEXES")
            }
            guard idx.count == bases.count else {
                throw FormatError.invalid(format: "RPM", reason: "header: DIRINDEXES has \(idx.count) items for \(bases.count) BASENAMES")
            }
            var p: [String] = []
            p.reserveCapacity(bases.count)
            for (i, base) in bases.enumerated() {
                let d = idx[i]
                guard d >= 0, d < dirs.count else {
                    throw FormatError.invalid(format: "RPM", reason: "header: DIRINDEXES[\(i)] = \(d) but there are \(dirs.count) DIRNAMES")
                }
                p.append(dirs[d] + base)
            }
            paths = p
        } else if let old = try h.strings(RPMTag.oldFilenames) {
            paths = old
        } else {
            return []
        }
        let n = paths.count

        func ints(_ tag: UInt32) throws -> [Int]? {
            guard let a = try h.integers(tag) else { return nil }
            guard a.count == n else {
                throw FormatError.invalid(format: "RPM", reason: "header: \(rpmTagLabel(tag)) has \(a.count) items for \(n) files")
            }
            return a
        }
        func strs(_ tag: UInt32) throws -> [String]? {
            guard let a = try h.strings(tag) else { return nil }
            guard a.count == n else {
                throw FormatError.invalid(format: "RPM", reason: "header: \(rpmTagLabel(tag)) has \(a.count) items for \(n) files")
            }
            return a
        }

        let sizes = try ints(RPMTag.longFileSizes) ?? ints(RPMTag.fileSizes)
        let modes = try ints(RPMTag.fileModes)
        let mtimes = try ints(RPMTag.fileMtimes)
        let links = try strs(RPMTag.fileLinkTos)
        let digests = try strs(RPMTag.fileDigests)
        let users = try strs(RPMTag.fileUserName)
        let groups = try strs(RPMTag.fileGroupName)
        let flags = try ints(RPMTag.fileFlags)
        let rdevs = try ints(RPMTag.fileRdevs)
        let inodes = try ints(RPMTag.fileInodes)
        let devices = try ints(RPMTag.fileDevices)

        var out: [RPMFileEntry] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            let link = links?[i] ?? ""
            let digest = digests?[i] ?? ""
            out.append(RPMFileEntry(
                path: paths[i],
                size: sizes?[i] ?? 0,
                mode: modes?[i] ?? 0,
                mtime: mtimes?[i] ?? 0,
                linkTarget: link.isEmpty ? nil : link,
                digest: digest.isEmpty ? nil : digest,
                user: users?[i],
                group: groups?[i],
                flags: UInt32(truncatingIfNeeded: flags?[i] ?? 0),
                rdev: rdevs?[i],
                inode: inodes?[i],
                device: devices?[i]))
        }
        return out
    }
}
