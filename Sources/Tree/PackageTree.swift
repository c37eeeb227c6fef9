import Foundation
import Logging
import PkgfsFUSE
import PkgfsModel
import PkgfsStore

/// The repository as a filesystem (SPEC §2): answers lookup, getattr, readdir, read and
/// write as plain Swift calls on inode numbers. No SQL here: every question goes to the catalog.
public final class PackageTree: LowLevelFileSystem, @unchecked Sendable {
    // @unchecked: `notifier` is set once by `mounted` before requests flow; tables lock themselves.
    let repository: Repository
    let logger: Logger
    let inodes = InodeTable()
    let handles = HandleTable()
    let metaCache = MetaCache()
    /// Open payload readers (`files/`), a few packages' worth, so cursors survive between reads.
    let payloadReaders = PayloadReaderCache()
    let access: AccessPolicy
    let mountedAt: Double
    /// Absolute path of the mount, for `downloadUrl`.
    let mountPoint: String
    private(set) var notifier: (any KernelCacheNotifier)?

    /// Cache lifetimes: long for what never changes, short (and invalidated on change) for the rest.
    static let immutableTimeout: Double = 3600
    static let mutableTimeout: Double = 1

    public init(repository: Repository, mountPoint: String, access: AccessPolicy, logger: Logger) {
        self.repository = repository
        self.mountPoint = mountPoint
        self.access = access
        self.logger = logger
        self.mountedAt = Date().timeIntervalSince1970
    }

    public func mounted(notifier: any KernelCacheNotifier) {
        self.notifier = notifier
    }

    // MARK: - names

    public func lookup(parent: UInt64, name: String) throws -> Entry {
        guard let parentNode = inodes.node(parent) else { throw FSError.notFound() }
        guard let child = try mapped({ try resolve(name, in: parentNode) }) else {
            throw FSError.notFound("\(name) not found")
        }
        let ino = inodes.ino(for: child, parent: parent, name: name)
        return try entry(for: child, ino: ino)
    }

    public func getattr(_ ino: UInt64) throws -> Entry {
        guard let node = inodes.node(ino) else { throw FSError.notFound() }
        return try entry(for: node, ino: ino)
    }

    public func readdir(_ ino: UInt64) throws -> [DirectoryEntry] {
        guard let node = inodes.node(ino) else { throw FSError.notFound() }
        guard node.isDirectory else { throw FSError(ENOTDIR) }
        return try mapped { try children(of: node) }.map { name, child in
            let childIno = inodes.ino(for: child, parent: ino, name: name)
            return DirectoryEntry(name: name, ino: childIno, mode: fileType(of: child))
        }
    }

    public func readlink(_ ino: UInt64) throws -> String {
        guard let node = inodes.node(ino) else { throw FSError.notFound() }
        guard let target = try mapped({ try linkTarget(of: node) }) else { throw FSError(EINVAL) }
        return target
    }

    public func statfs() -> FilesystemStatistics {
        var st = statvfs()
        _ = statvfs(repository.layout.root, &st)
        let packages = UInt64((try? repository.catalog.packageCount()) ?? 0)
        return FilesystemStatistics(blockSize: UInt64(st.f_frsize), blocks: UInt64(st.f_blocks),
                                    freeBlocks: UInt64(st.f_bavail), files: packages + UInt64(st.f_ffree),
                                    freeFiles: UInt64(st.f_ffree))
    }

    func entry(for node: Node, ino: UInt64) throws -> Entry {
        let attributes = try mapped { try self.attributes(of: node, ino: ino) }
        let timeout = isImmutable(node) ? Self.immutableTimeout : Self.mutableTimeout
        return Entry(attributes: attributes, entryTimeout: timeout, attributeTimeout: timeout)
    }

    private func isImmutable(_ node: Node) -> Bool {
        switch node {
        case .original, .sha256Link, .filesDir, .payload: return true
        default: return false
        }
    }

    func fileType(of node: Node) -> UInt32 {
        if case let .payload(_, _, type) = node { return type }
        if node.isDirectory { return UInt32(S_IFDIR) }
        if node.isSymlink { return UInt32(S_IFLNK) }
        return UInt32(S_IFREG)
    }
}
