import Foundation
import GRDB
import GRDBSQLite

extension Catalog {
    /// OCP keyword semantics: name, type, version, OS or architecture contains the keyword, in
    /// either case; newest upload first, each package once. Each hit carries what
    /// search/<keyword>/ shows of it, read from the search indexes alone (`SearchSchema`).
    public func searchHits(keyword: String) throws -> SearchHits {
        let terms = try searchTerms(keyword)
        // One column after the other: a package found in an earlier column is skipped in the
        // later ones by its id alone, before anything else of its row is read.
        var parts: [SearchHitsBuilder] = []
        var seen: Set<Int64>?
        let columns = SearchSchema.columns.filter { column in terms.contains { $0.column == column } }
        for (number, column) in columns.enumerated() {
            let slices = try searchSlices(of: terms.filter { $0.column == column })
            let found = try readHits(in: slices, skipping: seen)
            if number < columns.count - 1 {
                var ids = seen ?? Set(minimumCapacity: found.reduce(0) { $0 + $1.count })
                for part in found { ids.formUnion(part.idsRead) }
                seen = ids
            }
            parts += found
        }
        return SearchHits(joining: parts)
    }

    /// The distinct values of the searched columns that contain the keyword; without a keyword
    /// every package is a hit, and its name alone finds it, once.
    private func searchTerms(_ keyword: String) throws -> [SearchTerm] {
        // SQL's LIKE (ASCII letters in either case) answers an ASCII keyword in SQLite's own code;
        // any other keyword is compared with Unicode's case folding, a Swift call per term.
        let match: (sql: String, argument: String)
        if keyword.utf8.allSatisfy({ $0 < 0x80 }) {
            let escaped = keyword.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            match = ("value LIKE ?1 ESCAPE '\\'", "%\(escaped)%")
        } else {
            match = ("pkgfs_contains(value, ?1)", keyword)
        }
        return try read { db in
            try Row.fetchAll(cached: db, sql: """
                SELECT kind, value FROM searchTerm WHERE \(match.sql) AND (?2 != '' OR kind = 0)
                """, arguments: [match.argument, keyword]).compactMap { term -> SearchTerm? in
                    let kind: Int = term[0]
                    guard SearchSchema.columns.indices.contains(kind), let value = String.fromDatabaseValue(term[1])
                    else { return nil }
                    return SearchTerm(column: SearchSchema.columns[kind], value: value)
                }
        }
    }

    /// Each slice is a range of one index, read on a connection of its own: from a cold disk
    /// every page of a range is a random read, and one connection waits for them one at a time.
    private func readHits(in slices: [SearchSlice], skipping seen: Set<Int64>?) throws -> [SearchHitsBuilder] {
        let workers = min(slices.count, Self.searchReaders)
        return try onParallelThreads(workers) { worker in
            try self.read { db in
                var hits = SearchHitsBuilder()
                for slice in stride(from: worker, to: slices.count, by: workers) {
                    let column = slices[slice].term.column
                    let statement = try db.cachedStatement(sql: """
                        SELECT id, createdAt, dirType, dirOS, dirArch, dirVersion, dirName
                        FROM package INDEXED BY \(SearchSchema.index(of: column))
                        WHERE \(column) = ? AND createdAt >= ? AND createdAt < ?
                        """)
                    let rows = try Row.fetchCursor(statement, arguments: [slices[slice].term.value,
                                                                           slices[slice].from, slices[slice].upTo])
                    // The columns are read from SQLite's own buffers: a String is made only
                    // for a name and for a parent directory not seen before.
                    while try rows.next() != nil {
                        let row = statement.sqliteStatement
                        if let seen, seen.contains(sqlite3_column_int64(row, 0)) { continue }
                        hits.appendRow(of: row)
                    }
                }
                return hits
            }
        }
    }

    /// How many index ranges a search reads at once (the pool has readers for them and for the
    /// requests that arrive meanwhile). Eight in flight read a cold catalog's scattered pages
    /// about three times as fast as one (measured from C: 283 → 100 ms for 130,033 hits).
    static let searchReaders = 8

    /// The terms' index ranges cut into `searchReaders` slices in all, by upload time: a term
    /// found alone is read as eight slices, two as four each, many as one each.
    func searchSlices(of terms: [SearchTerm]) throws -> [SearchSlice] {
        guard !terms.isEmpty else { return [] }
        let perTerm = max(1, Self.searchReaders / terms.count)
        guard perTerm > 1 else { return terms.map { SearchSlice(term: $0, from: -.infinity, upTo: .infinity) } }
        return try read { db in
            try terms.flatMap { term -> [SearchSlice] in
                let bounds = try ["MIN", "MAX"].map { function in
                    try Double.fetchOne(db.cachedStatement(sql: """
                        SELECT \(function)(createdAt) FROM package INDEXED BY \(SearchSchema.index(of: term.column))
                        WHERE \(term.column) = ?
                        """), arguments: [term.value])
                }
                guard let first = bounds[0], let last = bounds[1], last > first else {
                    return [SearchSlice(term: term, from: -.infinity, upTo: .infinity)]
                }
                let step = (last - first) / Double(perTerm)
                return (0..<perTerm).map { slice in
                    SearchSlice(term: term, from: slice == 0 ? -.infinity : first + Double(slice) * step,
                                upTo: slice == perTerm - 1 ? .infinity : first + Double(slice + 1) * step)
                }
            }
        }
    }
}

/// One distinct value of a searched column that contains the keyword.
struct SearchTerm: Sendable {
    let column: String
    let value: String
}

/// The packages with one term uploaded in [from, upTo): a range of the term's column's index.
struct SearchSlice: Sendable {
    let term: SearchTerm
    let from: Double
    let upTo: Double
}
