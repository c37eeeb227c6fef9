#if canImport(Glibc)
import Glibc
#endif

/// An inode's attributes as the filesystem reports them; the binding turns them into `struct stat`.
public struct Attributes: Sendable, Equatable {
    public var ino: UInt64
    /// Type and permission bits, as in `st_mode`.
    public var mode: UInt32
    public var nlink: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    /// Seconds since the epoch (fractional); used for mtime, ctime and atime.
    public var mtime: Double

    public init(ino: UInt64, mode: UInt32, nlink: UInt32 = 1, uid: UInt32 = 0, gid: UInt32 = 0,
                size: Int64 = 0, mtime: Double = 0) {
        self.ino = ino
        self.mode = mode
        self.nlink = nlink
        self.uid = uid
        self.gid = gid
        self.size = size
        self.mtime = mtime
    }

    public var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
}

/// The answer to a lookup: the attributes plus how long the kernel may cache them.
public struct Entry: Sendable, Equatable {
    public var attributes: Attributes
    public var entryTimeout: Double
    public var attributeTimeout: Double

    public init(attributes: Attributes, entryTimeout: Double, attributeTimeout: Double) {
        self.attributes = attributes
        self.entryTimeout = entryTimeout
        self.attributeTimeout = attributeTimeout
    }
}

/// One opened directory's names, made by `opendir` and paged by the binding (which adds "."
/// and ".."). Index 0 is the first name after those.
public protocol DirectoryListing: AnyObject, Sendable {
    /// Reads the names, once, before the first page is asked for; `count` and the entries
    /// are valid after it. (Not at opendir: a listing the kernel has cached is never read.)
    func load() throws
    var count: Int { get }
    /// Whether the kernel may keep this listing in its page cache until the filesystem
    /// invalidates the listing (`KernelCacheNotifier.invalidateListing`).
    var mayBeCached: Bool { get }
    /// For readdir: the name, its type, and its inode number if it has one already
    /// (`DirectoryEntry.unknownIno` otherwise: numbering every name of a huge directory would
    /// keep them all in memory, and the kernel asks again with lookup before using one).
    func entry(at index: Int) -> DirectoryEntry
    /// For readdirplus: the name's full entry. Takes one lookup reference on its inode, as a
    /// lookup does; nil when the entry cannot be had (the kernel then looks the name up).
    func entryPlus(at index: Int) -> Entry?
}

/// One name in a directory listing.
public struct DirectoryEntry: Sendable, Equatable {
    /// libfuse's FUSE_UNKNOWN_INO: a listed name whose inode is given out at lookup.
    public static let unknownIno: UInt64 = 0xffff_ffff

    public var name: String
    public var ino: UInt64
    /// `S_IFDIR`, `S_IFREG`, `S_IFLNK` (type bits only are needed).
    public var mode: UInt32

    public init(name: String, ino: UInt64, mode: UInt32) {
        self.name = name
        self.ino = ino
        self.mode = mode
    }
}

/// How an opened file is to be treated by the kernel.
public struct OpenReply: Sendable, Equatable {
    public var handle: UInt64
    /// Bypass the page cache (generated files whose content changes).
    public var directIO: Bool
    /// Keep cached pages across opens (immutable files).
    public var keepCache: Bool
    /// Nothing to do when the file is closed: the kernel then sends no flush, saving a round trip per close.
    public var noFlush: Bool
    /// A descriptor of the file's bytes (read-only, owned by the filesystem until release) that
    /// the kernel may read itself instead of sending reads (FUSE passthrough, where available).
    public var passthroughFD: Int32?

    public init(handle: UInt64, directIO: Bool = false, keepCache: Bool = false, noFlush: Bool = false,
                passthroughFD: Int32? = nil) {
        self.handle = handle
        self.directIO = directIO
        self.keepCache = keepCache
        self.noFlush = noFlush
        self.passthroughFD = passthroughFD
    }

    /// An immutable file opened for reading (from `passthroughFD`, where the kernel can).
    public static func cachedReadOnly(_ handle: UInt64, passthroughFD: Int32? = nil) -> OpenReply {
        OpenReply(handle: handle, keepCache: true, noFlush: true, passthroughFD: passthroughFD)
    }
}

/// Who sent a request.
public struct Caller: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32

    public init(uid: UInt32, gid: UInt32, pid: Int32) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
    }
}

/// What a setattr asks to change.
public struct AttributeChanges: Sendable, Equatable {
    public var size: Int64?
    public var mode: UInt32?
    public var mtime: Double?
    public var ownerChange: Bool

    public init(size: Int64? = nil, mode: UInt32? = nil, mtime: Double? = nil, ownerChange: Bool = false) {
        self.size = size
        self.mode = mode
        self.mtime = mtime
        self.ownerChange = ownerChange
    }
}

/// Filesystem usage for `statfs`/`df`.
public struct FilesystemStatistics: Sendable {
    public var blockSize: UInt64
    public var blocks: UInt64
    public var freeBlocks: UInt64
    public var files: UInt64
    public var freeFiles: UInt64

    public init(blockSize: UInt64, blocks: UInt64, freeBlocks: UInt64, files: UInt64, freeFiles: UInt64) {
        self.blockSize = blockSize
        self.blocks = blocks
        self.freeBlocks = freeBlocks
        self.files = files
        self.freeFiles = freeFiles
    }
}

/// An error with the errno the caller gets and a message for the log.
public struct FSError: Error, Sendable, CustomStringConvertible {
    public var errno: Int32
    public var message: String
    /// Routine refusals (a name that does not exist, an attribute not set) are not logged.
    public var isRoutine: Bool

    public init(_ errno: Int32, _ message: String = "", routine: Bool? = nil) {
        self.errno = errno
        self.message = message
        self.isRoutine = routine ?? (errno == ENOENT || errno == ENODATA)
    }

    public var description: String {
        message.isEmpty ? String(cString: strerror(errno)) : "\(message) (\(String(cString: strerror(errno))))"
    }

    public static func notFound(_ message: String = "") -> FSError { FSError(ENOENT, message) }
    public static func accessDenied(_ message: String = "") -> FSError { FSError(EACCES, message) }
    public static func invalid(_ message: String = "") -> FSError { FSError(EINVAL, message) }
}

/// The flags of a setxattr (linux/xattr.h; Glibc's module does not export them).
public enum XattrFlags {
    /// Fail with EEXIST if the attribute exists.
    public static let create: Int32 = 0x1
    /// Fail with ENODATA if the attribute does not exist.
    public static let replace: Int32 = 0x2
}
