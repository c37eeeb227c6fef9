import Foundation
import GRDB
import PkgfsModel

/// Reads the tree needs: each answers one directory or one lookup with one indexed query.
extension Catalog {
    // The directory levels are the columns of the `package_tree` index. Their distinct values
    // are read by a loose index scan: one seek per distinct value instead of a pass over every
    // package under the directory (a million packages make that pass a tenth of a second).

    public func types() throws -> [String] {
        try read { db in try String.fetchAll(cached: db, sql: Self.distinctLevel("dirType", under: []), arguments: []) }
    }

    public func operatingSystems(type: String) throws -> [String] {
        try read { db in
            try String.fetchAll(cached: db, sql: Self.distinctLevel("dirOS", under: ["dirType"]), arguments: [type])
        }
    }

    public func architectures(type: String, os: String) throws -> [String] {
        try read { db in
            try String.fetchAll(cached: db, sql: Self.distinctLevel("dirArch", under: ["dirType", "dirOS"]),
                                arguments: [type, os])
        }
    }

    /// Each version directory of an arch directory with the format of its packages
    /// (the format picks the ordering).
    public func versions(type: String, os: String, arch: String) throws -> [(version: String, format: PackageFormat)] {
        let sql = """
            WITH RECURSIVE level(v) AS (\(Self.distinctLevelSteps("dirVersion", under: ["dirType", "dirOS", "dirArch"])))
            SELECT v AS dirVersion,
                   (SELECT MIN(format) FROM package WHERE dirType = ?1 AND dirOS = ?2 AND dirArch = ?3 AND dirVersion = v) AS format
            FROM level WHERE v IS NOT NULL
            """
        return try read { db in
            try Row.fetchAll(cached: db, sql: sql, arguments: [type, os, arch]).map {
                (version: $0["dirVersion"] as String, format: PackageFormat(rawValue: $0["format"]) ?? .file)
            }
        }
    }

    /// Whether any package lives under the directory given by the leading levels (type, os,
    /// arch, version): one index seek, for lookups that only need to know the name exists.
    public func hasPackages(under levels: [String]) throws -> Bool {
        let columns = ["dirType", "dirOS", "dirArch", "dirVersion"].prefix(levels.count)
        let clause = columns.map { "\($0) = ?" }.joined(separator: " AND ")
        return try read { db in
            try Bool.fetchOne(cached: db, sql: "SELECT EXISTS (SELECT 1 FROM package WHERE \(clause))",
                              arguments: StatementArguments(levels)) ?? false
        }
    }

    /// `SELECT` of the distinct values of `column` under equal values of `under` (bound as ?1, ?2...),
    /// ordered, by a recursive seek on the `package_tree` index.
    static func distinctLevel(_ column: String, under: [String]) -> String {
        "WITH RECURSIVE level(v) AS (\(distinctLevelSteps(column, under: under))) SELECT v FROM level WHERE v IS NOT NULL"
    }

    static func distinctLevelSteps(_ column: String, under: [String]) -> String {
        let fixed = under.enumerated().map { "\($1) = ?\($0 + 1)" }
        let first = (["1"] + fixed).joined(separator: " AND ")
        let next = (fixed + ["\(column) > level.v"]).joined(separator: " AND ")
        return """
            SELECT (SELECT MIN(\(column)) FROM package WHERE \(first))
            UNION ALL
            SELECT (SELECT MIN(\(column)) FROM package WHERE \(next)) FROM level WHERE level.v IS NOT NULL
            """
    }

    public func packages(type: String, os: String, arch: String, version: String) throws -> [PackageSummary] {
        try summaries(where: "dirType = ? AND dirOS = ? AND dirArch = ? AND dirVersion = ? ORDER BY dirName",
                      [type, os, arch, version])
    }

    public func summary(at location: PackageLocation) throws -> PackageSummary? {
        try summaries(where: "dirType = ? AND dirOS = ? AND dirArch = ? AND dirVersion = ? AND dirName = ?",
                      [location.type, location.os, location.arch, location.version, location.name]).first
    }

    public func summary(id: Int64) throws -> PackageSummary? {
        try summaries(where: "id = ?", [id]).first
    }

    public func summary(uuid: String) throws -> PackageSummary? {
        try summaries(where: "uuid = ?", [uuid]).first
    }

    public func summary(fileName: String) throws -> PackageSummary? {
        try summaries(where: "fileName = ?", [fileName]).first
    }

    /// Newest upload first when several packages share the digest.
    public func summaries(sha1: String) throws -> [PackageSummary] {
        try summaries(where: "sha1 = ? ORDER BY createdAt DESC, id DESC", [sha1])
    }

    public func summaries(sha256: String) throws -> [PackageSummary] {
        try summaries(where: "sha256 = ? ORDER BY createdAt DESC, id DESC", [sha256])
    }

    /// Every package's id and then its uuid: the names of by-id/, without loading whole rows or
    /// keeping a String per name. In uuid order, from the uuid index (a table scan by id read
    /// every row's page), in slices (`packedNamesInSlices`).
    public func idAndUUIDNames() throws -> PackedNames {
        try packedNamesInSlices(of: "uuid", select: "id, uuid", from: "package") { names, row in
            names.append(String(row[0] as Int64))
            try names.appendText(of: row, at: 1)
        }
    }

    public func allSummaries() throws -> [PackageSummary] {
        try summaries(where: "1 ORDER BY id", [])
    }

    /// OCP keyword semantics: name, type, version, OS or architecture contains the keyword, in
    /// either case; newest upload first. Each hit carries what search/<keyword>/ shows of it,
    /// read from the search indexes alone (`SearchSchema`).
    public func searchHits(keyword: String) throws -> [SearchHit] {
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
        // Without a keyword every package is a hit: its name alone finds it, once.
        let terms = try read { db in
            try Row.fetchAll(cached: db, sql: """
                SELECT kind, value FROM searchTerm WHERE \(match.sql) AND (?2 != '' OR kind = 0)
                """, arguments: [match.argument, keyword]).compactMap { term -> SearchTerm? in
                    let kind: Int = term[0]
                    guard SearchSchema.columns.indices.contains(kind), let value = String.fromDatabaseValue(term[1])
                    else { return nil }
                    return SearchTerm(column: SearchSchema.columns[kind], value: value)
                }
        }
        let slices = try searchSlices(of: terms)
        // Each slice is a range of one index, read on a connection of its own: from a cold disk
        // every page of a range is a random read, and one connection waits for them one at a time.
        let workers = min(slices.count, Self.searchReaders)
        let parts = try onParallelThreads(workers) { worker in
            try self.read { db in
                var hits: [SearchHit] = []
                for slice in stride(from: worker, to: slices.count, by: workers) {
                    try Self.appendHits(of: slices[slice], to: &hits, db)
                }
                return hits
            }
        }
        var hits: [SearchHit] = []
        hits.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { hits.append(contentsOf: part) }
        // The values of one column are distinct, so one term's hits are too; a package can only
        // turn up twice when the keyword is in two of its columns, or when a concurrent update
        // moved it from one term to another between two slices' snapshots.
        if terms.count > 1 {
            var seen = Set<Int64>(minimumCapacity: hits.count)
            hits.removeAll { !seen.insert($0.id).inserted }
        }
        // In place: `sorted` would copy 130,000 hits, retaining each of their strings.
        hits.sort(by: newestFirst)
        return hits
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

    private static func appendHits(of slice: SearchSlice, to hits: inout [SearchHit], _ db: Database) throws {
        let column = slice.term.column
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT id, createdAt, dirType, dirOS, dirArch, dirVersion, dirName
            FROM package INDEXED BY \(SearchSchema.index(of: column))
            WHERE \(column) = ? AND createdAt >= ? AND createdAt < ?
            """), arguments: [slice.term.value, slice.from, slice.upTo])
        while let row = try cursor.next() {
            hits.append(SearchHit(id: row[0], createdAt: row[1], location: location(row, from: 2)))
        }
    }

    /// The ids of one page of all packages by upload time (newest first unless `ascending`, as
    /// `searchHits` orders them), and how many packages there are.
    public func pageOfAll(offset: Int, limit: Int, ascending: Bool) throws -> (ids: [Int64], total: Int) {
        let order = ascending ? "ASC" : "DESC"
        return try read { db in
            let ids = try Int64.fetchAll(cached: db, sql: """
                SELECT id FROM package ORDER BY createdAt \(order), id \(order) LIMIT ? OFFSET ?
                """, arguments: [limit, offset])
            return (ids, try Int.fetchOne(cached: db, sql: "SELECT count(*) FROM package") ?? 0)
        }
    }

    /// Package ids above `after`, in order, at most `limit` of them (all without one).
    public func packageIDs(after: Int64, limit: Int?) throws -> [Int64] {
        try read { db in
            try Int64.fetchAll(cached: db, sql: "SELECT id FROM package WHERE id > ? ORDER BY id LIMIT ?",
                               arguments: [after, limit ?? -1])
        }
    }

    /// Whole packages with ids above `after`, in id order, at most `limit`: a collection read
    /// one bounded batch at a time.
    public func packages(after: Int64, limit: Int) throws -> [Package] {
        try read { db in
            try PackageRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM package WHERE id > ? ORDER BY id LIMIT ?"),
                                       arguments: [after, limit]).map(\.package)
        }
    }

    public func package(id: Int64) throws -> Package? {
        try read { db in try PackageRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM package WHERE id = ?"), arguments: [id])?.package }
    }

    public func packageCount() throws -> Int {
        try read { db in try PackageRecord.fetchCount(db) }
    }

    public func receipts() throws -> [(fileName: String, location: PackageLocation)] {
        try read { db in
            try Row.fetchAll(cached: db, sql: """
                SELECT r.fileName, p.dirType, p.dirOS, p.dirArch, p.dirVersion, p.dirName
                FROM receipt r JOIN package p ON p.id = r.packageId ORDER BY r.fileName
                """).map { ($0[0], Self.location($0, from: 1)) }
        }
    }

    public func receipt(fileName: String) throws -> PackageLocation? {
        try read { db in
            try Row.fetchOne(cached: db, sql: """
                SELECT p.dirType, p.dirOS, p.dirArch, p.dirVersion, p.dirName
                FROM receipt r JOIN package p ON p.id = r.packageId WHERE r.fileName = ?
                """, arguments: [fileName]).map { Self.location($0, from: 0) }
        }
    }

    public enum DigestKind: String, Sendable { case sha1, sha256 }

    public func distinctDigests(_ kind: DigestKind) throws -> PackedNames {
        try packedNamesInSlices(of: kind.rawValue, select: "DISTINCT \(kind.rawValue)", from: "package") { names, row in
            try names.appendText(of: row, at: 0)
        }
    }

    /// The names `select` gives for every row, ordered by `column` (of hex digits or uuids), read
    /// as slices of `column`'s index on connections of their own at once: from a cold disk the
    /// pages of an index filled in random order are random reads (see `searchReaders`).
    private func packedNamesInSlices(of column: String, select: String, from table: String,
                                     append: @escaping @Sendable (inout PackedNames, Row) throws -> Void) throws -> PackedNames {
        let bounds = Self.hexSliceBounds
        let parts = try onParallelThreads(bounds.count + 1) { slice in
            try self.read { db in
                let lower = slice == 0 ? "" : bounds[slice - 1]
                let upper = slice == bounds.count ? nil : bounds[slice]
                let range = upper == nil ? "\(column) >= ?" : "\(column) >= ? AND \(column) < ?"
                let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                    SELECT \(select) FROM \(table) WHERE \(range) ORDER BY \(column)
                    """), arguments: StatementArguments([lower] + (upper.map { [$0] } ?? [])))
                var names = PackedNames()
                while let row = try rows.next() { try append(&names, row) }
                return names
            }
        }
        return PackedNames(joining: parts)
    }

    /// Where the slices of a column of hex digits start: even shares for digits in either case.
    static let hexSliceBounds = ["2", "4", "6", "8", "A", "C", "E", "a", "c", "e"]

    public func referencedDigests() throws -> Set<String> {
        try read { db in Set(try String.fetchAll(cached: db, sql: "SELECT DISTINCT sha256 FROM package")) }
    }

    // MARK: - plumbing

    // Read by position in `summary(_:)`.
    private static let summaryColumns = """
        id, uuid, fileName, size, format, version, createdAt, modifiedAt, state, dirType, dirOS, dirArch, dirVersion, dirName
        """

    private func summaries(where clause: String, _ arguments: StatementArguments) throws -> [PackageSummary] {
        try rows(columns: Self.summaryColumns, where: clause, arguments, decode: Self.summary)
    }

    /// Decoded straight from the statement: `Row.fetchAll` would first copy every row.
    private func rows<T>(columns: String, where clause: String, _ arguments: StatementArguments,
                         decode: (Row) -> T) throws -> [T] {
        try read { db in
            let cursor = try Row.fetchCursor(db.cachedStatement(sql: "SELECT \(columns) FROM package WHERE \(clause)"),
                                             arguments: arguments)
            var decoded: [T] = []
            while let row = try cursor.next() { decoded.append(decode(row)) }
            return decoded
        }
    }

    static func summary(_ row: Row) -> PackageSummary {
        PackageSummary(id: row[0], uuid: row[1], fileName: row[2], size: row[3], format: row[4], version: row[5],
                       createdAt: row[6], modifiedAt: row[7], state: PackageState(rawValue: row[8]) ?? .corrupt,
                       location: location(row, from: 9))
    }

    /// dirType, dirOS, dirArch, dirVersion, dirName from column `first` on.
    static func location(_ row: Row, from first: Int) -> PackageLocation {
        PackageLocation(type: row[first], os: row[first + 1], arch: row[first + 2],
                        version: row[first + 3], name: row[first + 4])
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            // Outside a transaction: each of these reads is one statement, which SQLite runs on
            // one snapshot anyway, and BEGIN/COMMIT around it cost more than the query.
            return try pool.unsafeRead(body)
        } catch let error as DatabaseError {
            throw StoreError.io("catalog read failed: \(error.message ?? "\(error)")", errno: EIO)
        }
    }
}

private extension PackedNames {
    /// Appends a text column's bytes as SQLite holds them, without a String in between.
    mutating func appendText(of row: Row, at column: Int) throws {
        try row.withUnsafeData(atIndex: column) { data in
            guard let data else { throw StoreError.io("catalog column \(column) is NULL", errno: EIO) }
            data.withUnsafeBytes { append(utf8: $0) }
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
