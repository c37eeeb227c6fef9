import Foundation
import PkgfsStore

/// The hits of the latest searches by name, so that looking up one name in search/<keyword>/
/// (one the kernel has forgotten, or listed without its entry) is not a whole search each time:
/// with 130,000 hits a search takes a quarter of a second even warm. A memo answers only while
/// the catalog is unchanged since it was read (the generation of `SummaryMemo`).
final class SearchMemo: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private struct Hits {
        let generation: UInt64
        let ids: [String: Int64]
    }

    private let lock = NSLock()
    private var entries = BoundedCache<String, Hits>(capacity: 2)
    /// Bigger searches are not kept (about 100 bytes a name).
    static let maxHits = 150_000

    func hits(_ keyword: String, generation: UInt64) -> [String: Int64]? {
        lock.withLock {
            guard let hits = entries.get(keyword), hits.generation == generation else { return nil }
            return hits.ids
        }
    }

    /// Keeps the hits of a search read at `generation`; returns them by name (where two share a
    /// name, the first, as in the listing).
    func store(_ keyword: String, _ found: [SearchHit], readAt generation: UInt64) -> [String: Int64] {
        let ids = Dictionary(found.lazy.map { ($0.name, $0.id) }, uniquingKeysWith: { first, _ in first })
        if ids.count <= Self.maxHits {
            lock.withLock { entries.set(keyword, Hits(generation: generation, ids: ids)) }
        }
        return ids
    }
}

extension PackageTree {
    /// The packages of search/<keyword>/ by name.
    func searchHits(_ keyword: String) throws -> [String: Int64] {
        if let known = searches.hits(keyword, generation: summaries.currentGeneration) { return known }
        return try search(keyword).byName
    }

    /// Runs the search of search/<keyword>/ and keeps its hits, by name, for lookups. Whole
    /// summaries only of the first ones, which a readdirplus reply shows with their attributes:
    /// read one by one they made a 950-hit listing take 31 ms instead of 18 (catalog cached).
    func search(_ keyword: String) throws -> (found: [SearchHit], byName: [String: Int64]) {
        let generation = summaries.currentGeneration
        let (found, first) = try repository.catalog.searchHits(keyword: keyword, summarizingFirst: Self.summarizedHits)
        summaries.store(first, readAt: generation)
        return (found, searches.store(keyword, found, readAt: generation))
    }

    static let summarizedHits = 4096
}
