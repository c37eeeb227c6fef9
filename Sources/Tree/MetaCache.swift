import Foundation

/// Rendered meta.json by package, valid while the package's modification time is unchanged:
/// the bytes of recently read ones, and the size of many more, which is all a listing needs
/// when the kernel asks again (this machine's kernel drops idle cached pages within seconds).
final class MetaCache: @unchecked Sendable {
    // @unchecked: the caches are guarded by `lock`.
    private let lock = NSLock()
    private var documents: BoundedCache<Int64, (version: Double, bytes: [UInt8])>
    private var sizes: BoundedCache<Int64, (version: Double, size: Int)>

    init(documents: Int = 4096, sizes: Int = 1 << 20) {
        self.documents = BoundedCache(capacity: documents)
        self.sizes = BoundedCache(capacity: sizes)
    }

    func bytes(for id: Int64, version: Double) -> [UInt8]? {
        lock.withLock {
            guard let entry = documents.get(id), entry.version == version else { return nil }
            return entry.bytes
        }
    }

    func size(for id: Int64, version: Double) -> Int? {
        lock.withLock {
            guard let entry = sizes.get(id), entry.version == version else { return nil }
            return entry.size
        }
    }

    func store(_ bytes: [UInt8], for id: Int64, version: Double) {
        lock.withLock {
            documents.set(id, (version, bytes))
            sizes.set(id, (version, bytes.count))
        }
    }
}
