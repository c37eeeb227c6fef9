import Foundation

/// Rendered meta.json bytes by package, valid while the package's modification time is unchanged.
/// Bounded: when full it starts over (simple, and browsing refills it at once).
final class MetaCache: @unchecked Sendable {
    // @unchecked: `entries` is guarded by `lock`.
    private let lock = NSLock()
    private var entries: [Int64: (version: Double, bytes: [UInt8])] = [:]
    private let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func bytes(for id: Int64, version: Double) -> [UInt8]? {
        lock.withLock {
            guard let entry = entries[id], entry.version == version else { return nil }
            return entry.bytes
        }
    }

    func store(_ bytes: [UInt8], for id: Int64, version: Double) {
        lock.withLock {
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[id] = (version, bytes)
        }
    }
}
