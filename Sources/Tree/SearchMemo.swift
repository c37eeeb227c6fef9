import Foundation
import PkgfsStore

/// The hits of one search/<keyword>/, newest first, findable by name (a lookup) and by id (the
/// attributes and link target of a search link). The two tables are made when first asked
/// for: a plain `ls` of 130,000 hits needs neither.
final class SearchResult: @unchecked Sendable {
    // @unchecked: `hits` is immutable; the tables are guarded by `lock`.
    let hits: SearchHits
    private let lock = NSLock()
    private var byName: PositionTable?
    private var byID: PositionTable?

    init(_ hits: SearchHits) {
        self.hits = hits
    }

    /// The first hit listed under `name`.
    func hit(named name: String) -> SearchHit? {
        lock.withLock {
            let table = byName ?? hits.nameTable()
            byName = table
            return hits.position(ofName: name, in: table).map { hits[$0] }
        }
    }

    func hit(id: Int64) -> SearchHit? {
        lock.withLock {
            let table = byID ?? hits.idTable()
            byID = table
            return hits.position(ofID: id, in: table).map { hits[$0] }
        }
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
    /// The last searches kept, unless one is kept alone.
    private static let kept = 2
    private var entries = BoundedCache<String, Kept>(capacity: kept)
    private var keptAlone: String?
    /// A search with more hits (about 100 bytes a hit with its tables) is kept alone.
    private let keptAloneAbove: Int

    init(keptAloneAbove: Int = 200_000) {
        self.keptAloneAbove = keptAloneAbove
    }

    func result(_ keyword: String, generation: UInt64) -> SearchResult? {
        lock.withLock {
            guard let kept = entries.get(keyword), kept.generation == generation else { return nil }
            return kept.result
        }
    }

    /// Every search is kept, even one of every package: without it, each lookup of a name the
    /// kernel has not cached was the whole search again (0.4 s each for 588,930 hits, so that
    /// `ls -l` of them would have taken days).
    func store(_ keyword: String, _ result: SearchResult, readAt generation: UInt64) {
        // The searches this displaces are freed after the lock, not under it: a million hits
        // take a while to free, and lookups wait for this lock.
        _ = lock.withLock { () -> BoundedCache<String, Kept> in
            let displaced = entries
            if let alone = keptAlone { entries.remove(alone) }
            keptAlone = nil
            if result.hits.count > keptAloneAbove {
                entries = BoundedCache(capacity: Self.kept)
                keptAlone = keyword
            }
            entries.set(keyword, Kept(generation: generation, result: result))
            return displaced
        }
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
