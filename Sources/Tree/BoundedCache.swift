import Foundation

/// A dictionary that holds at most `capacity` entries, forgetting the least recently used half
/// at a time: entries live in a young and an old generation; when the young one is full it
/// becomes the old one, and a hit in the old one moves the entry back to the young one.
/// Not thread-safe: its owners lock around it.
struct BoundedCache<Key: Hashable, Value> {
    private var young: [Key: Value] = [:]
    private var old: [Key: Value] = [:]
    private let generationSize: Int

    init(capacity: Int) {
        generationSize = max(1, capacity / 2)
    }

    mutating func get(_ key: Key) -> Value? {
        if let value = young[key] { return value }
        guard let value = old.removeValue(forKey: key) else { return nil }
        set(key, value)
        return value
    }

    mutating func set(_ key: Key, _ value: Value) {
        if young[key] == nil, young.count >= generationSize {
            old = young
            // A full generation was seen: the next one is likely to fill too, without regrowing.
            young = Dictionary(minimumCapacity: generationSize)
        }
        young[key] = value
    }

    mutating func remove(_ key: Key) {
        young[key] = nil
        old[key] = nil
    }

    mutating func removeAll(where shouldRemove: (Key) -> Bool) {
        young = young.filter { !shouldRemove($0.key) }
        old = old.filter { !shouldRemove($0.key) }
    }
}

extension BoundedCache: Sendable where Key: Sendable, Value: Sendable {}
