import Foundation

/// One member of a package payload (RPM cpio, deb data.tar, tar, zip), as listed by
/// `listPayload(path:container:limits:)` and read by `PayloadReader`.
///
/// Paths are normalized: relative, no leading `./` or `/`, no `.` or empty components,
/// no trailing `/`; the payload root itself is never an entry. A listing is a complete
/// tree: every parent directory of every entry is itself an entry (synthesized when the
/// archive does not carry it; those have `archiveIndex == nil`).
public struct PayloadEntry: Sendable, Codable, Equatable, Hashable {
    public enum Kind: String, Sendable, Codable, Equatable, Hashable {
        case file, directory, symlink, hardlink, other
    }

    /// Normalized relative path, e.g. `usr/bin/hello`.
    public var path: String
    public var kind: Kind
    /// Permission bits and file type as in `st_mode` (`S_IFREG|0755`, `S_IFDIR|...`).
    /// A hard link carries the mode of a regular file.
    public var mode: UInt32
    /// Bytes of content: the declared size of a file, the size of the linked file for a
    /// hard link, 0 for directories, symlinks and others (a symlink's `st_size` is
    /// `linkTarget`'s length in UTF-8).
    public var size: Int64
    /// Modification time, seconds since the epoch.
    public var mtime: Int64
    /// Symlink target as recorded (may be absolute or contain `..`: it is not followed
    /// here); for a hard link the normalized path of the entry that holds the bytes.
    public var linkTarget: String?
    public var uid: Int64?
    public var gid: Int64?
    public var userName: String?
    public var groupName: String?
    /// Ordinal (0-based) of this entry's header in the archive; nil for synthesized
    /// parent directories.
    public var archiveIndex: Int?
    /// Ordinal of the header whose data are this entry's bytes: its own for a file, the
    /// link target's for a hard link; nil when there is nothing to read.
    public var dataIndex: Int?

    public init(path: String, kind: Kind, mode: UInt32, size: Int64, mtime: Int64,
                linkTarget: String? = nil, uid: Int64? = nil, gid: Int64? = nil,
                userName: String? = nil, groupName: String? = nil,
                archiveIndex: Int? = nil, dataIndex: Int? = nil) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.size = size
        self.mtime = mtime
        self.linkTarget = linkTarget
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
        self.archiveIndex = archiveIndex
        self.dataIndex = dataIndex
    }

    /// The permission bits alone (`mode & 0o7777`).
    public var permissions: UInt32 { mode & 0o7777 }

    /// True when `PayloadReader` can read bytes for this entry.
    public var hasData: Bool { (kind == .file || kind == .hardlink) && dataIndex != nil }

    /// The path of the archive member that carries this entry's bytes.
    var dataPath: String { kind == .hardlink ? (linkTarget ?? path) : path }
}
