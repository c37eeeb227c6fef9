/// Node → inode slot, for lookups of a node the kernel may already hold. An open-addressing
/// table of 4-byte slot numbers (linear probing, deletion by backward shift): the nodes and their
/// hashes stay in the slots' entries. A `[Node: UInt64]` cost 32 bytes a bucket, 67 MB at the
/// 805,000 inodes of a browse over 100,000 packages; this costs 4 (8 MB).
/// Not thread-safe: the inode table locks around it.
struct NodeIndex {
    /// Slot numbers; 0 (a slot never used) marks an empty bucket.
    private var buckets: [UInt32]
    private(set) var count = 0
    private static let smallest = 1024

    init() {
        buckets = Array(repeating: 0, count: Self.smallest)
    }

    var capacity: Int { buckets.count }
    private var mask: Int { buckets.count - 1 }

    /// The slot holding `node`, whose hash is `hash`.
    func slot(of node: Node, hash: UInt32, in slots: InodeSlots) -> UInt32? {
        var bucket = Int(hash) & mask
        while buckets[bucket] != 0 {
            let slot = buckets[bucket]
            let entry = slots.entry(inSlot: slot)
            if entry.hash == hash, entry.node == node { return slot }
            bucket = (bucket + 1) & mask
        }
        return nil
    }

    /// Adds `slot`, whose node (not already in the index) hashes to `hash`.
    mutating func insert(_ slot: UInt32, hash: UInt32, in slots: InodeSlots) {
        if (count + 1) * 2 > buckets.count { resize(to: buckets.count * 2, in: slots) }
        place(slot, hash: hash)
        count += 1
    }

    private mutating func place(_ slot: UInt32, hash: UInt32) {
        var bucket = Int(hash) & mask
        while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
        buckets[bucket] = slot
    }

    /// Takes `slot`, holding `node`, out; the entries after it in its run move back so that no
    /// search stops early at the hole.
    mutating func remove(_ slot: UInt32, hash: UInt32, in slots: InodeSlots) {
        var hole = Int(hash) & mask
        while buckets[hole] != slot {
            guard buckets[hole] != 0 else { return }
            hole = (hole + 1) & mask
        }
        var next = hole
        while true {
            next = (next + 1) & mask
            let moving = buckets[next]
            if moving == 0 { break }
            let home = Int(slots.entry(inSlot: moving).hash) & mask
            // It stays if its home lies cyclically in (hole, next]: moving it would put it
            // before its home, where a search never looks.
            let stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if !stays {
                buckets[hole] = moving
                hole = next
            }
        }
        buckets[hole] = 0
        count -= 1
        if buckets.count > Self.smallest, count * 8 < buckets.count {
            resize(to: max(Self.smallest, buckets.count / 4), in: slots)
        }
    }

    private mutating func resize(to size: Int, in slots: InodeSlots) {
        let old = buckets
        buckets = Array(repeating: 0, count: size)
        for slot in old where slot != 0 { place(slot, hash: slots.entry(inSlot: slot).hash) }
    }
}
