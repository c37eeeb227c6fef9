import Foundation
import PkgfsStore

/// The hits of one search/<keyword>/, newest first, findable by name (a lookup) and by id (the
/// attributes and link target of a search link). The two indexes are made when first asked
/// for: a plain `ls` of 130,000 hits needs neither, and making both took a tenth of its time.
final class SearchResult: @unchecked Sendable {
    // @unchecked: `hits` is immutable; the indexes are guarded by `lock`.
    let hits: [SearchHit]
    private let lock = NSLock()
    private var byName: [String: Int]?
    private var byID: [Int64: Int]?

    init(_ hits: [SearchHit]) {
        self.hits = hits
    }

    func hit(named name: String) -> SearchHit? {
        lock.withLock { lookup(name, in: &byName) { $0.name } }
    }

    func hit(id: Int64) -> SearchHit? {
        lock.withLock { lookup(id, in: &byID) { $0.id } }
    }

    /// Made on first use; where two hits share a key, the first, as in the listing. Call with `lock` held.
    private func lookup<Key: Hashable>(_ key: Key, in index: inout [Key: Int]?,
                                       keyedBy keyOf: (SearchHit) -> Key) -> SearchHit? {
        if index == nil {
            var built = [Key: Int](minimumCapacity: hits.count)
            // Back to front, so that the first of two hits with one key is the one left.
            for position in hits.indices.reversed() { built[keyOf(hits[position])] = position }
            index = built
        }
        return index?[key].map { hits[$0] }
    }
}

/// The latest searches, so that looking up one name in search/<keyword>/ (one the kernel has
/// forgotten, or listed without its entry) is not a whole search each time: with 130,000 hits
/// a search takes a tenth of a second even warm. A memo answers only while the catalog is
/// unchanged since it was read (the generation of `SummaryMemo`).
final class SearchMemo: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private struct Kept {
        let generation: UInt64
        let result: SearchResult
    }

    private let lock = NSLock()
    private var entries = BoundedCache<String, Kept>(capacity: 2)
    /// Bigger searches are not kept (about 150 bytes a hit).
    static let maxHits = 150_000

    func result(_ keyword: String, generation: UInt64) -> SearchResult? {
        lock.withLock {
            guard let kept = entries.get(keyword), kept.generation == generation else { return nil }
            return kept.result
        }
    }

    func store(_ keyword: String, _ result: SearchResult, readAt generation: UInt64) {
        guard result.hits.count <= Self.maxHits else { return }
        lock.withLock { entries.set(keyword, Kept(generation: generation, result: result)) }
    }
}

extension PackageTree {
    /// search/<keyword>/, from the memo when it is current.
    func searchResult(_ keyword: String) throws -> SearchResult {
        if let known = searches.result(keyword, generation: summaries.currentGeneration) { return known }
        return try search(keyword)
    }

    /// Runs the search of search/<keyword>/ and keeps its hits for lookups and attributes.
    func search(_ keyword: String) throws -> SearchResult {
        let generation = summaries.currentGeneration
        let result = SearchResult(try repository.catalog.searchHits(keyword: keyword))
        searches.store(keyword, result, readAt: generation)
        return result
    }

    /// A search link's hit, if its search is still in the memo: never a new search.
    func knownSearchHit(_ keyword: String, id: Int64) -> SearchHit? {
        searches.result(keyword, generation: summaries.currentGeneration)?.hit(id: id)
    }
}
