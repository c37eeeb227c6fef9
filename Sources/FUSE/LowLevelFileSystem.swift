#if canImport(Glibc)
import Glibc
#endif

/// What a filesystem answers, as plain Swift calls on inode numbers. The FUSE binding only
/// translates requests into these calls and their results or errors into replies, so the
/// filesystem can be tested without a mount. Every method may be called from several
/// threads at once.
public protocol LowLevelFileSystem: AnyObject, Sendable {
    func lookup(parent: UInt64, name: String, caller: Caller) throws -> Entry
    func getattr(_ ino: UInt64) throws -> Entry
    func setattr(_ ino: UInt64, handle: UInt64?, changes: AttributeChanges, caller: Caller) throws -> Entry
    func readlink(_ ino: UInt64) throws -> String
    /// The listing of a directory for one opendir, without "." and "..": the binding adds those
    /// and pages it.
    func opendir(_ ino: UInt64) throws -> any DirectoryListing
    /// Whether directory `ino` is listed in about the time of a lookup (a package's own
    /// directory: a catalog read or two), so the request loop may answer its readdir itself
    /// instead of first handing the reading of /dev/fuse to another thread.
    func listsQuickly(_ ino: UInt64) -> Bool
    /// The kernel dropped `count` references (lookups, creates, readdirplus entries) to `ino`.
    func forget(_ ino: UInt64, count: UInt64)
    func open(_ ino: UInt64, flags: Int32, caller: Caller) throws -> OpenReply
    func read(_ ino: UInt64, handle: UInt64, offset: Int64, size: Int) throws -> [UInt8]
    func write(_ ino: UInt64, handle: UInt64, offset: Int64, data: UnsafeRawBufferPointer, caller: Caller) throws -> Int
    /// Called on every close() of a descriptor; its error is what close() returns.
    func flush(_ ino: UInt64, handle: UInt64, caller: Caller) throws
    func release(_ ino: UInt64, handle: UInt64)
    func create(parent: UInt64, name: String, mode: UInt32, flags: Int32, caller: Caller) throws -> (Entry, OpenReply)
    func unlink(parent: UInt64, name: String, caller: Caller) throws
    func rmdir(parent: UInt64, name: String, caller: Caller) throws
    /// Where `ino` is, for a log line: its path from the mount's root ("" for the root itself).
    func describe(_ ino: UInt64) -> String
    /// rename(2); `flags` are renameat2's (RENAME_NOREPLACE, RENAME_EXCHANGE).
    func rename(parent: UInt64, name: String, newParent: UInt64, newName: String, flags: UInt32, caller: Caller) throws
    /// The inode the kernel holds for `name` in `parent`, if any, without a new reference
    /// (an rmdir's directory, whose lock the kernel holds while it is removed).
    func heldInode(named name: String, in parent: UInt64) -> UInt64?
    func getxattr(_ ino: UInt64, name: String) throws -> [UInt8]
    func listxattr(_ ino: UInt64) throws -> [String]
    func setxattr(_ ino: UInt64, name: String, value: [UInt8], flags: Int32, caller: Caller) throws
    func removexattr(_ ino: UInt64, name: String, caller: Caller) throws
    func statfs() -> FilesystemStatistics
    /// Called once the kernel connection is up; `notifier` invalidates kernel caches.
    func mounted(notifier: any KernelCacheNotifier)
}

/// Tells the kernel to drop what it cached, so changes are visible at once with caching on.
public protocol KernelCacheNotifier: Sendable {
    /// Forget the name `name` in directory `parent`.
    func invalidateEntry(parent: UInt64, name: String)
    /// Forget the attributes and cached data of `ino`.
    func invalidateInode(_ ino: UInt64)
    /// Forget the attributes of `ino`, keeping its cached data.
    func invalidateAttributes(_ ino: UInt64)
    /// Forget the attributes and cached listing of directory `ino`, whose names changed,
    /// including a listing being cached right now from a reply read before the change.
    func invalidateListing(_ ino: UInt64)
    /// Returns once what was asked so far has reached the kernel, for a change made outside a
    /// request (an HTTP upload), whose answer must not come before the tree shows it.
    func waitUntilSent()
}

extension LowLevelFileSystem {
    public func setattr(_ ino: UInt64, handle: UInt64?, changes: AttributeChanges, caller: Caller) throws -> Entry {
        throw FSError(EPERM)
    }
    public func readlink(_ ino: UInt64) throws -> String { throw FSError(EINVAL) }
    public func forget(_ ino: UInt64, count: UInt64) {}
    public func listsQuickly(_ ino: UInt64) -> Bool { false }
    public func write(_ ino: UInt64, handle: UInt64, offset: Int64, data: UnsafeRawBufferPointer, caller: Caller) throws -> Int {
        throw FSError(EBADF)
    }
    public func flush(_ ino: UInt64, handle: UInt64, caller: Caller) throws {}
    public func describe(_ ino: UInt64) -> String { ino == 1 ? "" : "inode \(ino)" }
    public func rename(parent: UInt64, name: String, newParent: UInt64, newName: String, flags: UInt32, caller: Caller) throws {
        throw FSError(EACCES)
    }
    public func create(parent: UInt64, name: String, mode: UInt32, flags: Int32, caller: Caller) throws -> (Entry, OpenReply) {
        throw FSError(EACCES)
    }
    public func unlink(parent: UInt64, name: String, caller: Caller) throws { throw FSError(EACCES) }
    public func rmdir(parent: UInt64, name: String, caller: Caller) throws { throw FSError(EACCES) }
    public func heldInode(named name: String, in parent: UInt64) -> UInt64? { nil }
    public func getxattr(_ ino: UInt64, name: String) throws -> [UInt8] { throw FSError(ENODATA) }
    public func listxattr(_ ino: UInt64) throws -> [String] { [] }
    public func setxattr(_ ino: UInt64, name: String, value: [UInt8], flags: Int32, caller: Caller) throws { throw FSError(ENOTSUP) }
    public func removexattr(_ ino: UInt64, name: String, caller: Caller) throws { throw FSError(ENOTSUP) }
    public func mounted(notifier: any KernelCacheNotifier) {}
}
