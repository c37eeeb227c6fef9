import Foundation

/// Rendered meta.json by package and modification time: the bytes of recently read ones, and
/// the size of many more, which is all a listing needs when the kernel asks again (this
/// machine's kernel drops idle cached pages within seconds).
///
/// A document the kernel still holds after its package changed (`Node.meta` of an older
/// version) is superseded until the kernel forgets that inode: it was shown at its size, so the
/// reads of those who opened it return those bytes, not the new document cut or padded to the
/// old size; a new open gets the new document.
final class MetaCache: @unchecked Sendable {
    // @unchecked: the caches are guarded by `lock`.
    struct Key: Hashable {
        let id: Int64
        let version: Double
    }

    private let lock = NSLock()
    /// Documents are kept by count, so big ones (a package of 50,000 files renders 20 MB, and
    /// every label change a new version) are kept apart, a few at a time, and the biggest not at
    /// all: an open renders its own copy (`GeneratedFile`). The daemon grew by each version read.
    static let smallDocument = 64 << 10
    static let largestKept = 16 << 20
    private var documents: BoundedCache<Key, [UInt8]>
    private var largeDocuments = BoundedCache<Key, [UInt8]>(capacity: 8)
    private var sizes: BoundedCache<Int64, (version: Double, size: Int)>
    /// Superseded documents the kernel holds, with their bytes if they were still known.
    private var superseded: [Key: [UInt8]?] = [:]
    private var staleOpens = StaleOpens()

    init(documents: Int = 4096, sizes: Int = 1 << 20) {
        self.documents = BoundedCache(capacity: documents)
        self.sizes = BoundedCache(capacity: sizes)
    }

    func bytes(for id: Int64, version: Double) -> [UInt8]? {
        let key = Key(id: id, version: version)
        return lock.withLock { superseded[key].flatMap { $0 } ?? documents.get(key) ?? largeDocuments.get(key) }
    }

    func size(for id: Int64, version: Double) -> Int? {
        lock.withLock {
            if let entry = sizes.get(id), entry.version == version { return entry.size }
            return superseded[Key(id: id, version: version)].flatMap { $0 }?.count
        }
    }

    func store(_ bytes: [UInt8], for id: Int64, version: Double) {
        lock.withLock {
            if bytes.count <= Self.smallDocument { documents.set(Key(id: id, version: version), bytes) }
            else if bytes.count <= Self.largestKept { largeDocuments.set(Key(id: id, version: version), bytes) }
            sizes.set(id, (version, bytes.count))
        }
    }

    /// Marks the document of `id` at `version` superseded and keeps its bytes until
    /// `forgetSuperseded`; false if they are no longer known (rendered too long ago), when its
    /// inode can only be invalidated.
    func supersede(_ id: Int64, version: Double) -> Bool {
        let key = Key(id: id, version: version)
        return lock.withLock {
            if let kept = superseded[key] { return kept != nil }
            let bytes = documents.get(key) ?? largeDocuments.get(key)
            superseded[key] = .some(bytes)
            return bytes != nil
        }
    }

    func forgetSuperseded(_ id: Int64, version: Double) {
        _ = lock.withLock { superseded.removeValue(forKey: Key(id: id, version: version)) }
    }

    /// Whether an open of meta.json at `version` by `task` is refused (see `StaleOpens`).
    func refusesOpen(_ id: Int64, version: Double, task: Int32, now: ContinuousClock.Instant = .now) -> Bool {
        lock.withLock {
            let superseded = superseded[Key(id: id, version: version)] != nil
            return staleOpens.refuses(id, version: version, task: task, superseded: superseded, now: now)
        }
    }

    /// meta.json of `id` at `version` was looked up by `task` (see `StaleOpens`).
    func lookedUp(_ id: Int64, version: Double, task: Int32, now: ContinuousClock.Instant = .now) {
        lock.withLock { staleOpens.lookedUp(id, version: version, task: task, now: now) }
    }

    /// Superseded documents held (for tests).
    var supersededCount: Int { lock.withLock { superseded.count } }
}
