import Foundation
import PkgfsFUSE
import PkgfsFormats
import PkgfsStore

/// `<PKG>/files/` (SPEC §3): the payload of a package as a read-only tree.
///
/// Names, types, modes, sizes, mtimes and symlink targets come from the listing recorded in
/// the catalog at registration, so browsing never touches the blob. Owners are the mount's
/// owner and group, like everything else in the tree: the uids/gids recorded in a package
/// belong to the build machine (the recorded names are in the catalog and, for RPMs, in the
/// file list of meta.json). Permission bits are shown as recorded, setuid included; the mount
/// is `nosuid,nodev` (libfuse's default), so they grant nothing. A hard link is a regular file
/// of its own (its own inode, nlink 1) with the linked bytes. Everything here is immutable
/// while its package exists, so the kernel may cache names, attributes and pages for long.
extension PackageTree {
    func payloadChild(_ name: String, in parent: Node) throws -> Node? {
        guard let (id, directory) = payloadDirectory(parent), !name.isEmpty, !name.contains("/") else { return nil }
        let path = directory.isEmpty ? name : directory + "/" + name
        return try repository.catalog.payloadEntry(packageID: id, path: path).map { Self.payloadNode(id, $0) }
    }

    func payloadChildren(of node: Node) throws -> [(String, Node)] {
        guard let (id, directory) = payloadDirectory(node) else { return [] }
        return try repository.catalog.payloadChildren(packageID: id, directory: directory).map { entry in
            (String(entry.path.split(separator: "/").last ?? ""), Self.payloadNode(id, entry))
        }
    }

    /// Attributes of `files/` and what is under it; `base` has the owner and ino filled in.
    func payloadAttributes(of node: Node, base: Attributes) throws -> Attributes {
        var a = base
        switch node {
        case let .filesDir(id):
            guard let summary = try summary(id: id), summary.hasPayload else {
                throw FSError.notFound("package \(id) is gone")
            }
            a.mode = UInt32(S_IFDIR) | 0o755
            a.nlink = 2
            a.mtime = summary.createdAt
        case let .payload(id, path, _):
            // A deleted package's file is asked about only by one who holds it open.
            let listed = try repository.catalog.payloadEntry(packageID: id, path: path)
            guard let entry = listed ?? handles.openPayloadEntry(packageID: id, path: path) else {
                throw FSError.notFound("files/\(path) of package \(id) is gone")
            }
            // A symlink's permissions mean nothing on Linux, which shows every one as 0777; a
            // tar header may record others (a deb's data.tar: 0644).
            a.mode = Self.fileType(of: entry) | (entry.kind == .symlink ? 0o777 : entry.permissions)
            a.nlink = listed == nil ? 0 : entry.kind == .directory ? 2 : 1
            a.mtime = Double(entry.mtime)
            switch entry.kind {
            case .file, .hardlink: a.size = entry.size
            case .symlink: a.size = Int64((entry.linkTarget ?? "").utf8.count)
            case .directory, .other: a.size = 0
            }
        default:
            throw FSError.notFound()
        }
        return a
    }

    /// A stream over the bytes of the payload file at `path`, sharing the package's reader.
    func openPayload(_ id: Int64, path: String) throws -> PayloadStream {
        let catalog = repository.catalog
        guard let entry = try mapped({ try catalog.payloadEntry(packageID: id, path: path) }) else {
            throw FSError.notFound("files/\(path) of package \(id) is gone")
        }
        switch entry.kind {
        case .directory: throw FSError(EISDIR)
        case .symlink, .other: throw FSError(EINVAL, "files/\(path) is a \(entry.kind.rawValue); it has no bytes to read")
        case .file, .hardlink: break
        }
        guard entry.hasData else { return PayloadStream(packageID: id, reader: nil, entry: entry, cache: nil) }
        let reader = try mapped {
            try payloadReaders.reader(for: id) {
                guard let container = try catalog.payloadContainer(packageID: id),
                      let package = try catalog.package(id: id) else {
                    throw FSError.notFound("package \(id) is gone")
                }
                return try PayloadReader(path: repository.blobPath(of: package), container: container,
                                         maxCursors: PayloadReaderCache.cursorsPerReader)
            }
        }
        return PayloadStream(packageID: id, reader: reader, entry: entry, cache: repository.payloadCache,
                             coldStart: { [self] in payloadReadOutOfOrder(id, reader: reader) })
    }

    /// Files of an archive read in another order than the archive's (`cat dir/*` of a tarball
    /// made in hash order, `grep -r`) each decompress the payload from its start: quadratic
    /// (10,000 files took 21 s). After a few such reads, the whole payload is decompressed once,
    /// in order, into the payload cache, and every file of it is a `pread` from then on.
    func payloadReadOutOfOrder(_ id: Int64, reader: PayloadReader) {
        guard payloadReaders.noteColdStart(id),
              let entries = try? repository.catalog.payloadDataEntries(packageID: id), !entries.isEmpty else { return }
        let byIndex = Dictionary(entries.map { ($0.dataIndex ?? -1, $0) }, uniquingKeysWith: { first, _ in first })
        let started = ContinuousClock.now
        let filled = repository.payloadCache.fillAll(packageID: id, entries: entries.map { ($0.dataIndex ?? -1, $0.size) }) { index, append in
            guard let entry = byIndex[index] else { return }
            try PayloadStream.decompress(entry, from: reader, to: append)
        }
        logger.info("files/ of package \(id) read out of archive order: \(filled) of \(entries.count) files decompressed once into the payload cache in \(ContinuousClock.now - started)")
    }

    /// At debug level: how the reads of a closed payload file were served. The package's open
    /// decompressors are closed once nothing has read it for `PayloadReaderCache.idleClose`:
    /// each holds its window (a zstd --long stream 128 MiB), and twelve stayed for good.
    func payloadClosed(_ stream: PayloadStream) {
        let readers = payloadReaders
        let wait = Int(PayloadReaderCache.idleClose.components.seconds) * 1000 + 100
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + .milliseconds(wait)) {
            readers.closeIdleCursors()
        }
        guard let stats = stream.reader?.statistics else { return }
        logger.debug("closed files/\(stream.entry.path) of package \(stream.packageID): \(stream.readCount) reads; package reader: \(stats.opens) opens, \(stats.reuses) reuses, \(stats.discarded) bytes discarded")
    }

    private func payloadDirectory(_ node: Node) -> (Int64, String)? {
        switch node {
        case let .filesDir(id): return (id, "")
        case let .payload(id, path, type) where type == UInt32(S_IFDIR): return (id, path)
        default: return nil
        }
    }

    static func payloadNode(_ id: Int64, _ entry: PayloadEntry) -> Node {
        .payload(id, path: entry.path, type: fileType(of: entry))
    }

    /// `S_IFMT` bits as a user sees them: a hard link is a regular file.
    static func fileType(of entry: PayloadEntry) -> UInt32 {
        switch entry.kind {
        case .file, .hardlink: return UInt32(S_IFREG)
        case .directory: return UInt32(S_IFDIR)
        case .symlink: return UInt32(S_IFLNK)
        case .other:
            let type = entry.mode & UInt32(S_IFMT)
            return type == 0 ? UInt32(S_IFREG) : type
        }
    }
}

extension Node {
    /// `files/` or something under it: fixed for as long as its package exists.
    var isPayload: Bool {
        switch self {
        case .filesDir, .payload: return true
        default: return false
        }
    }
}

/// One `PayloadReader` per package for the few packages read most recently. A reader keeps
/// its cursors (open, positioned decompressors), so the next read, also from another open of
/// the same or a later file, continues instead of decompressing from the start. Evicted
/// readers live on while an open file still uses them. Memory is bounded by
/// `capacity × cursorsPerReader` decompressor states (an xz or zstd window is up to a few
/// MiB each) plus the readers of files open right now.
final class PayloadReaderCache: @unchecked Sendable {
    // @unchecked: `readers` is guarded by `lock`; PayloadReader is thread-safe.
    static let capacity = 4
    static let cursorsPerReader = 3
    static let idleClose = Duration.seconds(10)

    /// Reads from the start of a file that no open cursor could reach, per package, before
    /// the whole payload is decompressed into the payload cache (`PackageTree.payloadReadOutOfOrder`).
    static let coldStartsBeforeFill = 8

    private let lock = NSLock()
    /// Least recently used first.
    private var readers: [(id: Int64, reader: PayloadReader)] = []
    /// When each package's reader was last handed out.
    private var lastUsed: [Int64: ContinuousClock.Instant] = [:]
    /// Cold starts per package, and the packages whose payload was decompressed whole (or
    /// found not to fit): bounded by the packages read this way.
    private var coldStarts = BoundedCache<Int64, Int>(capacity: 1024)

    /// Counts a cold start of package `id`; true once, when it reaches `coldStartsBeforeFill`.
    func noteColdStart(_ id: Int64) -> Bool {
        lock.withLock {
            let count = (coldStarts.get(id) ?? 0) + 1
            coldStarts.set(id, count)
            return count == Self.coldStartsBeforeFill
        }
    }

    func reader(for id: Int64, open: () throws -> PayloadReader) throws -> PayloadReader {
        lock.withLock { lastUsed[id] = .now }
        if let cached = take(id) { return cached }
        let made = try open()
        var evicted: [PayloadReader] = []
        let reader: PayloadReader = lock.withLock {
            if let at = readers.firstIndex(where: { $0.id == id }) { return readers[at].reader }
            readers.append((id, made))
            while readers.count > Self.capacity { evicted.append(readers.removeFirst().reader) }
            return made
        }
        _ = evicted  // released outside the lock
        return reader
    }

    /// Closes the decompressors of readers nobody has used for `idleClose` (the readers stay,
    /// and open the archive again when next read).
    func closeIdleCursors(now: ContinuousClock.Instant = .now) {
        let idle: [PayloadReader] = lock.withLock {
            lastUsed = lastUsed.filter { id, _ in readers.contains { $0.id == id } }
            return readers.filter { now - (lastUsed[$0.id] ?? now) >= Self.idleClose }.map(\.reader)
        }
        idle.forEach { $0.closeCursors() }
    }

    /// Drops the readers of packages that went away (their blob may be gone).
    func forget(_ ids: Set<Int64>) {
        let dropped: [PayloadReader] = lock.withLock {
            let gone = readers.filter { ids.contains($0.id) }.map(\.reader)
            readers.removeAll { ids.contains($0.id) }
            return gone
        }
        dropped.forEach { $0.closeCursors() }
    }

    private func take(_ id: Int64) -> PayloadReader? {
        lock.withLock {
            guard let at = readers.firstIndex(where: { $0.id == id }) else { return nil }
            let hit = readers.remove(at: at)
            readers.append(hit)
            return hit.reader
        }
    }
}

/// An open payload file. Reads of one open file are served one at a time, in the order they
/// arrive, through a window of the last bytes decompressed: the kernel's read-ahead sends
/// several 128 KiB reads at once and they may arrive out of order; a read a little ahead
/// decompresses the gap into the window and the earlier read is then answered from it, so
/// `cat` never makes the reader go back. A read elsewhere continues an open cursor of the
/// package's reader when one is before it. When none is (going backwards in a compressed
/// stream, or a fresh open reading from the middle, which would mean decompressing from the
/// start of the payload), the whole file is instead decompressed once into the store's payload
/// cache; from then on every read of it, from this or any later open, is a `pread` of that copy.
final class PayloadStream: @unchecked Sendable {
    // @unchecked: the mutable state is guarded by `lock`; the rest is immutable.
    /// Bytes kept behind the furthest read, and how far ahead a read may be and still
    /// continue the window.
    static let keep = 1 << 20

    let packageID: Int64
    let reader: PayloadReader?
    let entry: PayloadEntry
    private let cache: PayloadCache?
    /// Called when a read from the start of the file must decompress the payload from its start.
    private let coldStart: () -> Void
    private let lock = NSLock()
    private var window: [UInt8] = []
    private var windowStart: Int64 = 0
    private var reads = 0
    /// The cached plain file of this entry once there is one.
    private var cached: Int32 = -1

    init(packageID: Int64, reader: PayloadReader?, entry: PayloadEntry, cache: PayloadCache?, coldStart: @escaping () -> Void = {}) {
        self.packageID = packageID
        self.reader = reader
        self.entry = entry
        self.cache = cache
        self.coldStart = coldStart
        if reader != nil, let dataIndex = entry.dataIndex, let fd = cache?.openExisting(packageID: packageID, dataIndex: dataIndex) {
            cached = fd
        }
    }

    deinit {
        if cached >= 0 { close(cached) }
    }

    var readCount: Int { lock.withLock { reads } }
    var isCached: Bool { lock.withLock { cached >= 0 } }

    func read(at offset: Int64, size: Int) throws -> [UInt8] {
        guard offset >= 0, size > 0, offset < entry.size, let reader else { return [] }
        let end = min(entry.size, offset + Int64(size))
        return try lock.withLock {
            reads += 1
            let windowEnd = windowStart + Int64(window.count)
            let outsideWindow = offset < windowStart || offset > windowEnd + Int64(Self.keep)
            if cached < 0 && outsideWindow && offset > 0 && !reader.canContinue(entry, at: offset) {
                cached = spill(reader)
            } else if cached < 0 && reads == 1 && offset == 0, let dataIndex = entry.dataIndex,
                      !reader.canContinue(entry, at: 0) {
                coldStart()
                cached = cache?.openExisting(packageID: packageID, dataIndex: dataIndex) ?? -1
            }
            if cached >= 0 { return try readCached(offset: offset, count: Int(end - offset)) }
            if outsideWindow {
                window = try reader.read(entry, offset: offset, length: Int(end - offset))
                windowStart = offset
            } else if end > windowEnd {
                window += try reader.read(entry, offset: windowEnd, length: Int(end - windowEnd))
            }
            let from = Int(offset - windowStart)
            let to = max(from, min(Int(end - windowStart), window.count))
            let out = Array(window[from..<to])
            let excess = window.count - Self.keep
            if excess > 0 {
                window.removeFirst(excess)
                windowStart += Int64(excess)
            }
            return out
        }
    }

    /// Decompresses the whole entry into the payload cache; -1 when it cannot be cached.
    private func spill(_ reader: PayloadReader) -> Int32 {
        guard let cache, let dataIndex = entry.dataIndex else { return -1 }
        let entry = self.entry
        let fd = cache.open(packageID: packageID, dataIndex: dataIndex, size: entry.size) { append in
            try Self.decompress(entry, from: reader, to: append)
        }
        if fd != nil { window = [] }
        return fd ?? -1
    }

    /// Hands all of `entry`'s bytes, in order, 1 MiB at a time, to `append`.
    static func decompress(_ entry: PayloadEntry, from reader: PayloadReader,
                           to append: (UnsafeRawBufferPointer) throws -> Void) throws {
        var offset: Int64 = 0
        while offset < entry.size {
            let chunk = try reader.read(entry, offset: offset, length: 1 << 20)
            guard !chunk.isEmpty else { throw FSError(EIO, "files/\(entry.path) ended early") }
            try chunk.withUnsafeBytes { try append($0) }
            offset += Int64(chunk.count)
        }
    }

    private func readCached(offset: Int64, count: Int) throws -> [UInt8] {
        try readBytes(cached, count: count, at: offset, of: "the cached files/\(entry.path)")
    }
}
