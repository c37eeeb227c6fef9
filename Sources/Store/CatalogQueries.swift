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

    /// A version directory as its arch directory orders it.
    public struct VersionDirectory: Sendable {
        public var version: String
        /// The format of its packages.
        public var format: PackageFormat
        /// The highest epoch among its available RPMs, else among all its RPMs (an RPM's epoch is
        /// not part of the name; a corrupt 5:2.0 must not lift a 0:2.0 above 2:0.5). Only RPMs:
        /// the index then gives it in a seek or two, not a walk over every package of the version.
        public var epoch: Int?
        /// Whether any of its packages is available.
        public var hasAvailable: Bool
    }

    /// The version directories of an arch directory (the tree's `sortedVersions` puts them in
    /// version order).
    public func versions(type: String, os: String, arch: String) throws -> [VersionDirectory] {
        // The packages of version directory v: every subquery seeks the version index with it.
        let inVersion = "FROM package WHERE dirType = ?1 AND dirOS = ?2 AND dirArch = ?3 AND dirVersion = v"
        let sql = """
            WITH RECURSIVE level(v) AS (\(Self.distinctLevelSteps("dirVersion", under: ["dirType", "dirOS", "dirArch"])))
            SELECT v AS dirVersion,
                   (SELECT MIN(format) \(inVersion)) AS format,
                   CASE WHEN EXISTS (SELECT 1 \(inVersion) AND format = 'rpm' AND state = 'available')
                        THEN (SELECT MAX(epoch) \(inVersion) AND format = 'rpm' AND state = 'available')
                        ELSE (SELECT MAX(epoch) \(inVersion) AND format = 'rpm') END AS epoch,
                   EXISTS (SELECT 1 \(inVersion) AND state = 'available') AS available
            FROM level WHERE v IS NOT NULL
            """
        return try read { db in
            try Row.fetchAll(cached: db, sql: sql, arguments: [type, os, arch]).map {
                VersionDirectory(version: $0["dirVersion"], format: PackageFormat(rawValue: $0["format"]) ?? .file,
                                 epoch: $0["epoch"], hasAvailable: $0["available"])
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

    /// When several packages share the digest (the same bytes under two names), the one its
    /// by-sha1/ and by-sha256/ link leads to first: an available one, then the first uploaded, so
    /// a copy uploaded later does not move the link, and a broken one does not take it.
    static let digestLinkOrder = "ORDER BY state = 'available' DESC, createdAt, id"

    public func summaries(sha1: String) throws -> [PackageSummary] {
        try summaries(where: "sha1 = ? \(Self.digestLinkOrder)", [sha1])
    }

    public func summaries(sha256: String) throws -> [PackageSummary] {
        try summaries(where: "sha256 = ? \(Self.digestLinkOrder)", [sha256])
    }

    /// Every package's id and then its uuid: the names of by-id/, without loading whole rows or
    /// keeping a String per name. In uuid order, from the uuid index (a table scan by id read
    /// every row's page), in slices (`packedNamesInSlices`).
    public func idAndUUIDNames() throws -> PackedNames {
        try packedNamesInSlices(of: "uuid", select: "id, uuid") { names, row in
            names.append(String(row[0] as Int64))
            try names.appendText(of: row, at: 1)
        }
    }

    // MARK: - many at once (a page of by-id/, by-sha1/ or by-sha256/ listed with attributes)

    public func summaries(ids: [Int64]) throws -> [PackageSummary] {
        guard !ids.isEmpty else { return [] }
        return try summaries(where: "id IN (\(Self.placeholders(ids.count)))", StatementArguments(ids))
    }

    public func summaries(uuids: [String]) throws -> [PackageSummary] {
        guard !uuids.isEmpty else { return [] }
        return try summaries(where: "uuid IN (\(Self.placeholders(uuids.count)))", StatementArguments(uuids))
    }

    /// For each of `digests`, the package `summaries(sha1:)` or `summaries(sha256:)` would give
    /// first (the one its link leads to), in one statement.
    public func linkedSummaries(_ kind: DigestKind, among digests: [String]) throws -> [String: PackageSummary] {
        guard !digests.isEmpty else { return [:] }
        let rows = try rows(columns: Self.summaryColumns + ", " + kind.rawValue,
                            where: "\(kind.rawValue) IN (\(Self.placeholders(digests.count))) \(Self.digestLinkOrder)",
                            StatementArguments(digests)) { row in (digest: row[15] as String, summary: Self.summary(row)) }
        var linked: [String: PackageSummary] = [:]
        for row in rows where linked[row.digest] == nil { linked[row.digest] = row.summary }
        return linked
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    public func allSummaries() throws -> [PackageSummary] {
        try summaries(where: "1 ORDER BY id", [])
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
        try packedNamesInSlices(of: kind.rawValue, select: "DISTINCT \(kind.rawValue)") { names, row in
            try names.appendText(of: row, at: 0)
        }
    }

    /// The names `select` gives for every package, ordered by `column` (of hex digits or uuids), read
    /// as slices of `column`'s index on connections of their own at once: from a cold disk the
    /// pages of an index filled in random order are random reads (see `searchReaders`).
    private func packedNamesInSlices(of column: String, select: String,
                                     append: @escaping @Sendable (inout PackedNames, Row) throws -> Void) throws -> PackedNames {
        let bounds = Self.hexSliceBounds
        let parts = try onParallelThreads(bounds.count + 1) { slice in
            try self.read { db in
                let lower = slice == 0 ? "" : bounds[slice - 1]
                let upper = slice == bounds.count ? nil : bounds[slice]
                let range = upper == nil ? "\(column) >= ?" : "\(column) >= ? AND \(column) < ?"
                let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                    SELECT \(select) FROM package WHERE \(range) ORDER BY \(column)
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
        id, uuid, fileName, size, format, version, createdAt, modifiedAt, state, dirType, dirOS, dirArch, dirVersion, dirName,
        EXISTS (SELECT 1 FROM payload WHERE payload.packageId = package.id)
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
                       location: location(row, from: 9), hasPayload: row[14])
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
