import Foundation

/// Payload files of compressed packages, decompressed once into plain files so that random
/// and backward reads (a seek in a big file under `files/`) cost a `pread`, not a decompression
/// from the start of the payload. Disposable: the blob stays the truth, anything here can be
/// deleted at any time (a crash leaves at most a `.partial` file, removed at the next open).
///
/// Bounded: at most `limit` bytes (least recently used files go first), and never so much that
/// the store's filesystem drops below `reserve` free bytes; a file that does not fit is not
/// cached, and its reads decompress as before.
public final class PayloadCache: @unchecked Sendable {
    // @unchecked: the directory is the state; `lock` serializes filling and eviction.
    public let directory: String
    public let limit: Int64
    public let reserve: Int64
    private let lock = NSLock()

    public init(directory: String, limit: Int64 = 2 << 30, reserve: Int64 = 1 << 30) {
        self.directory = directory
        self.limit = limit
        self.reserve = reserve
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".partial") {
            unlink(directory + "/" + name)
        }
    }

    /// The cache file of payload entry `dataIndex` of package `packageID`. Package ids are never
    /// reused, so a file can never show another package's bytes.
    func path(packageID: Int64, dataIndex: Int) -> String {
        "\(directory)/\(packageID)-\(dataIndex)"
    }

    /// An open descriptor on the cached file if it is there.
    public func openExisting(packageID: Int64, dataIndex: Int) -> Int32? {
        let fd = Glibc.open(path(packageID: packageID, dataIndex: dataIndex), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        _ = futimens(fd, nil)  // recently used: evicted last
        return fd
    }

    /// An open descriptor on the cached file, filling it first when absent: `fill` hands the
    /// entry's `size` bytes, in order, to the append function it is given. nil when the entry
    /// does not fit the cache's bounds or filling failed: the caller reads the slow way.
    public func open(packageID: Int64, dataIndex: Int, size: Int64,
                     fill: (_ append: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) -> Int32? {
        let final = path(packageID: packageID, dataIndex: dataIndex)
        lock.lock(); defer { lock.unlock() }
        if let existing = openExisting(packageID: packageID, dataIndex: dataIndex) { return existing }
        guard size <= limit, makeRoom(for: size) else { return nil }
        let partial = final + ".partial"
        let fd = Glibc.open(partial, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        do {
            var written: Int64 = 0
            try fill { bytes in
                let e = pwriteFully(fd, bytes, at: written)
                if e != 0 { throw StoreError.io("writing the payload cache file of package \(packageID) failed", errno: e) }
                written += Int64(bytes.count)
            }
            var st = stat()
            guard fstat(fd, &st) == 0, Int64(st.st_size) == size, rename(partial, final) == 0 else {
                throw StoreError.io("payload cache file of package \(packageID) is incomplete", errno: EIO)
            }
            return fd
        } catch {
            close(fd)
            unlink(partial)
            return nil
        }
    }

    /// Fills the cache files of many entries of one package (`dataIndex`, `size`, in payload
    /// order) in one pass, room made once for all; `fill` hands one entry's bytes, in order, to
    /// the append function. Entries already cached are skipped. Returns how many were filled;
    /// none when together they would take more than half the cache.
    public func fillAll(packageID: Int64, entries: [(dataIndex: Int, size: Int64)],
                        fill: (_ index: Int, _ append: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) -> Int {
        lock.lock(); defer { lock.unlock() }
        let missing = entries.filter { access(path(packageID: packageID, dataIndex: $0.dataIndex), F_OK) != 0 }
        let total = missing.reduce(Int64(0)) { $0 + $1.size }
        guard total <= limit / 2, makeRoom(for: total) else { return 0 }
        var filled = 0
        for entry in missing {
            let final = path(packageID: packageID, dataIndex: entry.dataIndex)
            let partial = final + ".partial"
            let fd = Glibc.open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { break }
            var written: Int64 = 0
            let ok = (try? fill(entry.dataIndex) { bytes in
                let e = pwriteFully(fd, bytes, at: written)
                if e != 0 { throw StoreError.io("writing the payload cache file of package \(packageID) failed", errno: e) }
                written += Int64(bytes.count)
            }) != nil && written == entry.size
            close(fd)
            guard ok, rename(partial, final) == 0 else {
                unlink(partial)
                break
            }
            filled += 1
        }
        return filled
    }

    /// Drops the cached files of packages that are gone.
    public func remove(packageIDs: Set<Int64>) {
        lock.lock(); defer { lock.unlock() }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let id = name.split(separator: "-").first.flatMap({ Int64($0) }), packageIDs.contains(id) else { continue }
            unlink(directory + "/" + name)
        }
    }

    /// Bytes held now.
    public var size: Int64 {
        files().reduce(0) { $0 + $1.size }
    }

    /// Evicts least recently used files until `size` more bytes fit both bounds.
    private func makeRoom(for size: Int64) -> Bool {
        var cached = files().sorted { $0.used < $1.used }
        var held = cached.reduce(0) { $0 + $1.size }
        while held + size > limit || freeBytes() - size < reserve {
            guard !cached.isEmpty else { return false }
            let oldest = cached.removeFirst()
            unlink(oldest.path)
            held -= oldest.size
        }
        return true
    }

    private func files() -> [(path: String, size: Int64, used: Double)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap { name in
            let path = directory + "/" + name
            var st = stat()
            guard !name.hasSuffix(".partial"), stat(path, &st) == 0 else { return nil }
            return (path, Int64(st.st_size), Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
        }
    }

    private func freeBytes() -> Int64 {
        var st = statvfs()
        guard statvfs(directory, &st) == 0 else { return 0 }
        return Int64(st.f_bavail) * Int64(st.f_frsize)
    }
}
