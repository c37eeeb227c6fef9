/// Positions 0..<count of a list found by a key of theirs (a name, an id) without a dictionary
/// of the keys: an open-addressing table of 4-byte positions, twice as many slots as entries.
/// Where several positions share a key, the lowest is kept.
public struct PositionTable: Sendable {
    /// Position + 1; 0 is an empty slot.
    private var slots: [UInt32]
    private let mask: Int

    init(count: Int, hash: (Int) -> Int, equal: (Int, Int) -> Bool) {
        var size = 16
        while size < count * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
        for position in 0..<count {
            var slot = hash(position) & mask
            while slots[slot] != 0 {
                if equal(Int(slots[slot]) - 1, position) { break }
                slot = (slot + 1) & mask
            }
            if slots[slot] == 0 { slots[slot] = UInt32(position + 1) }
        }
    }

    /// The position whose key has `hash` and that `matches` says is the one.
    func find(hash: Int, matches: (Int) -> Bool) -> Int? {
        var slot = hash & mask
        while slots[slot] != 0 {
            if matches(Int(slots[slot]) - 1) { return Int(slots[slot]) - 1 }
            slot = (slot + 1) & mask
        }
        return nil
    }
}
