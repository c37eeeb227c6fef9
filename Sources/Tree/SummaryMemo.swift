import Foundation
import PkgfsStore

/// Package summaries by id, kept between requests: a cold `ls -l` or `find` asks for the same
/// package's summary once per entry (its directory, meta.json, state, the original, links to it).
/// `packageChanged`, the signal that also drops the kernel's caches, drops a package from here.
/// A summary takes about 900 bytes (nine strings), so the memo holds what one directory's listing
/// and the walk into it ask for, not a whole browse: 16,384 of them take 15 MB.
final class SummaryMemo: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private let lock = NSLock()
    private var entries: BoundedCache<Int64, PackageSummary>
    /// The most one read stores: the memo keeps its last half at least, so of a bigger read
    /// (a version directory of 100,000 packages) only the first ones, which a listing's first
    /// pages show, are kept. Storing them all pushed out the ones it would ask for.
    private let batchLimit: Int
    /// Moves on every `forget`, so a summary read before a change is not stored after it.
    private var generation: UInt64 = 0

    init(capacity: Int = 16_384) {
        entries = BoundedCache(capacity: capacity)
        batchLimit = max(1, capacity / 2)
    }

    func summary(id: Int64) -> PackageSummary? {
        lock.withLock { entries.get(id) }
    }

    var currentGeneration: UInt64 {
        lock.withLock { generation }
    }

    /// Keeps summaries read when the generation was `readAt`.
    func store(_ summaries: some Sequence<PackageSummary>, readAt: UInt64) {
        lock.withLock {
            guard readAt == generation else { return }
            for summary in summaries.prefix(batchLimit) { entries.set(summary.id, summary) }
        }
    }

    func forget(_ ids: some Sequence<Int64>) {
        lock.withLock {
            generation &+= 1
            for id in ids { entries.remove(id) }
        }
    }
}

extension PackageTree {
    /// The catalog's summary of a package, through the memo.
    func summary(id: Int64) throws -> PackageSummary? {
        if let known = summaries.summary(id: id) { return known }
        return try remembered { try repository.catalog.summary(id: id).map { [$0] } ?? [] }.first
    }

    /// Runs a catalog read of summaries and keeps what it returns.
    func remembered(_ read: () throws -> [PackageSummary]) throws -> [PackageSummary] {
        let generation = summaries.currentGeneration
        let result = try read()
        summaries.store(result, readAt: generation)
        return result
    }
}
