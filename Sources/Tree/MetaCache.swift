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
    private var documents: BoundedCache<Key, [UInt8]>
    private var sizes: BoundedCache<Int64, (version: Double, size: Int)>
    /// Superseded documents the kernel holds, with their bytes if they were still known.
    private var superseded: [Key: [UInt8]?] = [:]

    init(documents: Int = 4096, sizes: Int = 1 << 20) {
        self.documents = BoundedCache(capacity: documents)
        self.sizes = BoundedCache(capacity: sizes)
    }

    func bytes(for id: Int64, version: Double) -> [UInt8]? {
        let key = Key(id: id, version: version)
        return lock.withLock { superseded[key].flatMap { $0 } ?? documents.get(key) }
    }

    func size(for id: Int64, version: Double) -> Int? {
        lock.withLock {
            if let entry = sizes.get(id), entry.version == version { return entry.size }
            return superseded[Key(id: id, version: version)].flatMap { $0 }?.count
        }
    }

    func store(_ bytes: [UInt8], for id: Int64, version: Double) {
        lock.withLock {
            documents.set(Key(id: id, version: version), bytes)
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
            let bytes = documents.get(key)
            superseded[key] = .some(bytes)
            return bytes != nil
        }
    }

    func forgetSuperseded(_ id: Int64, version: Double) {
        _ = lock.withLock { superseded.removeValue(forKey: Key(id: id, version: version)) }
    }

    /// Whether an open of meta.json at `version` is refused: a superseded one is (ESTALE: the
    /// kernel looks the name up again and retries the open once), unless it is the inode the
    /// kernel just looked up for such a retry, and it changed again in between: refused too, the
    /// caller would get the error; its own document is as new as the open.
    func refusesOpen(_ id: Int64, version: Double, now: ContinuousClock.Instant = .now) -> Bool {
        lock.withLock {
            var isRetry = false
            if var lookup = retryLookups[id], lookup.version == version, now - lookup.at < Self.retryWindow {
                lookup.opens -= 1
                retryLookups[id] = lookup.opens > 0 ? lookup : nil
                isRetry = true
            }
            guard superseded[Key(id: id, version: version)] != nil, !isRetry else { return false }
            if refusedOpens.count >= 256 { refusedOpens = refusedOpens.filter { now - $0.value < Self.retryWindow } }
            if retryLookups.count >= 256 { retryLookups = retryLookups.filter { now - $0.value.at < Self.retryWindow } }
            refusedOpens[id] = now
            return true
        }
    }

    /// meta.json of `id` at `version` was looked up: moments after an open of it was refused,
    /// this is the kernel's retry, and the open that follows is let through.
    func lookedUp(_ id: Int64, version: Double, now: ContinuousClock.Instant = .now) {
        lock.withLock {
            guard !refusedOpens.isEmpty, let refused = refusedOpens[id], now - refused < Self.retryWindow else { return }
            let earlier = retryLookups[id].flatMap { $0.version == version ? $0.opens : nil } ?? 0
            retryLookups[id] = (version, now, earlier + 1)
        }
    }

    private var refusedOpens: [Int64: ContinuousClock.Instant] = [:]
    /// Retries looked up and not yet opened, by package.
    private var retryLookups: [Int64: (version: Double, at: ContinuousClock.Instant, opens: Int)] = [:]
    /// Both steps of a retry are one system call: a lookup or an open later than this is another.
    static let retryWindow: Duration = .seconds(1)

    /// Superseded documents held (for tests).
    var supersededCount: Int { lock.withLock { superseded.count } }
}
