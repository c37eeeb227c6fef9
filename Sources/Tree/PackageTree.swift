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
    let summaries = SummaryMemo()
    let deletedPackages = DeletedPackages()
    let searches = SearchMemo()
    let linkMemo = LinkMemo()
    /// Open payload readers (`files/`), a few packages' worth, so cursors survive between reads.
    let payloadReaders = PayloadReaderCache()
    let access: AccessPolicy
    let mountedAt: Double
    /// mtime of the directories listed from the catalog; moves on every change.
    let listingClock: ListingClock
    /// Absolute path of the mount, for `downloadUrl`.
    let mountPoint: String
    private(set) var notifier: (any KernelCacheNotifier)?

    /// Cache lifetimes. Whatever the catalog changes is invalidated in the kernel when it changes
    /// (`packageChanged`), so names and attributes may be kept long; only `incoming/`, where
    /// names turn from uploads into receipts under the kernel's feet, is kept briefly.
    static let cachedTimeout: Double = 3600
    static let incomingTimeout: Double = 1

    public init(repository: Repository, mountPoint: String, access: AccessPolicy, logger: Logger) {
        self.repository = repository
        self.mountPoint = mountPoint
        self.access = access
        self.logger = logger
        self.mountedAt = Date().timeIntervalSince1970
        self.listingClock = ListingClock(start: mountedAt)
    }

    public func mounted(notifier: any KernelCacheNotifier) {
        self.notifier = notifier
    }

    // MARK: - names

    public func lookup(parent: UInt64, name: String, caller: Caller) throws -> Entry {
        guard let parentNode = inodes.node(parent) else { throw FSError.notFound() }
        var attempt = 0
        while true {
            attempt += 1
            let generation = summaries.currentGeneration
            guard var child = try mapped({ try resolve(name, in: parentNode) }) else {
                throw FSError.notFound("\(name) not found")
            }
            if case let .meta(id, resolved) = child {
                // Its size is its rendering, which may find the package changed since the summary
                // the name was resolved with: the node shows what was rendered, so its size and
                // its reads agree.
                let version = knowsMetaSize(of: id, version: resolved) ? resolved
                    : try mapped { try renderedMetaJSON(id, version: resolved).version }
                child = .meta(id, version: version)
            }
            let entry = try referencedEntry(for: child, parent: parent, name: name)
            // Resolved again, a few times at most while other changes keep coming.
            if attempt < 4 && !referenceStands(entry, since: generation) { continue }
            if case let .meta(id, version) = child { metaCache.lookedUp(id, version: version, task: caller.pid) }
            return entry
        }
    }

    /// Whether `entry`, just referenced for the kernel, may go to it: no package changed since
    /// `generation`, read before its node was resolved. A change in between looked for the inodes
    /// to drop from the kernel's caches before this one was referenced, and this answer reaches
    /// the kernel after the change's invalidations: the name would lead, for as long as the kernel
    /// keeps it, to what was there before (a replaced package's uuid link, meta.json before a
    /// label). If one came, the reference is given back.
    func referenceStands(_ entry: Entry, since generation: UInt64) -> Bool {
        guard summaries.currentGeneration != generation else { return true }
        forget(entry.attributes.ino, count: 1)
        return false
    }

    /// The entry of `node` as the kernel is about to hold it: one more reference on its inode
    /// (given back here if the entry cannot be made).
    func referencedEntry(for node: Node, parent: UInt64, name: String) throws -> Entry {
        let ino = inodes.reference(node, parent: parent, name: name)
        do {
            return try entry(for: node, ino: ino)
        } catch {
            forget(ino, count: 1)
            throw error
        }
    }

    /// A search link listed with its attributes (readdirplus), made from the hit the listing
    /// holds: no lookup of the hit by id, no remembered link target.
    func referencedEntry(forSearchHit hit: SearchHit, keyword: String, parent: UInt64) -> Entry {
        let node = Node.searchLink(keyword, hit.id)
        let ino = inodes.reference(node, parent: parent, name: hit.name)
        let timeout = cacheTimeout(of: node)
        return Entry(attributes: searchLinkAttributes(hit, base: baseAttributes(ino: ino)),
                     entryTimeout: timeout, attributeTimeout: timeout)
    }

    public func forget(_ ino: UInt64, count: UInt64) {
        if case let .meta(id, version)? = inodes.forget(ino, count: count) { metaCache.forgetSuperseded(id, version: version) }
    }

    public func describe(_ ino: UInt64) -> String {
        inodes.path(of: ino) ?? "inode \(ino)"
    }

    public func getattr(_ ino: UInt64) throws -> Entry {
        guard let node = inodes.node(ino) else { throw FSError.notFound() }
        return try entry(for: node, ino: ino)
    }

    public func opendir(_ ino: UInt64) throws -> any DirectoryListing {
        guard let node = inodes.node(ino) else { throw FSError.notFound() }
        guard node.isDirectory else { throw FSError(ENOTDIR) }
        if case let .searchDir(keyword) = node {
            return TreeListing(tree: self, directory: ino, searchedFor: keyword, search: { try mapped { try self.search(keyword).hits } })
        }
        if let makeNode = Self.indexNode(of: node) {
            return TreeListing(tree: self, directory: ino, names: { try mapped { try self.indexNames(of: node) } },
                               node: makeNode)
        }
        return TreeListing(tree: self, directory: ino, children: { try mapped { try self.children(of: node) } })
    }

    /// The root, a type's or an OS's directory (a few names), a package's own directory and its
    /// payload directories: one package's rows. Not an arch or version directory, whose names
    /// grow with the catalog (1,299 versions in one at a million packages), nor the indexes.
    public func listsQuickly(_ ino: UInt64) -> Bool {
        switch inodes.node(ino) {
        case .root, .typeDir, .osDir, .package, .filesDir, .payload, .search: return true
        default: return false
        }
    }

    /// The names of a directory with their inode numbers, for tests and tools (not the kernel).
    public func readdir(_ ino: UInt64) throws -> [DirectoryEntry] {
        let listing = try opendir(ino)
        try listing.load()
        return (0..<listing.count).map { listing.entry(at: $0) }
    }

    public func readlink(_ ino: UInt64) throws -> String {
        guard let node = inodes.node(ino) else { throw FSError.notFound() }
        guard let target = try mapped({ try linkTarget(of: node) }) else { throw FSError(EINVAL) }
        return target
    }

    public func statfs() -> FilesystemStatistics {
        var st = statvfs()
        _ = statvfs(repository.layout.root, &st)
        // The backing filesystem's figures: counting a million packages for each `df` would
        // cost more than the answer is worth.
        return FilesystemStatistics(blockSize: UInt64(st.f_frsize), blocks: UInt64(st.f_blocks),
                                    freeBlocks: UInt64(st.f_bavail), files: UInt64(st.f_files),
                                    freeFiles: UInt64(st.f_ffree))
    }

    func entry(for node: Node, ino: UInt64) throws -> Entry {
        let attributes = try mapped { try self.attributes(of: node, ino: ino) }
        let timeout = cacheTimeout(of: node)
        return Entry(attributes: attributes, entryTimeout: timeout, attributeTimeout: timeout)
    }

    private func cacheTimeout(of node: Node) -> Double {
        switch node {
        case .upload: return 0
        case .incoming, .receipt: return Self.incomingTimeout
        default: return Self.cachedTimeout
        }
    }

    func fileType(of node: Node) -> UInt32 {
        if case let .payload(_, _, type) = node { return type }
        if node.isDirectory { return UInt32(S_IFDIR) }
        if node.isSymlink { return UInt32(S_IFLNK) }
        return UInt32(S_IFREG)
    }
}
