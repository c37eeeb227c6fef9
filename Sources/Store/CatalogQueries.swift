import Foundation
import GRDB
import PkgfsModel

/// Reads the tree needs: each answers one directory or one lookup with one indexed query.
extension Catalog {
    public func types() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT DISTINCT dirType FROM package ORDER BY 1") }
    }

    public func operatingSystems(type: String) throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT dirOS FROM package WHERE dirType = ? ORDER BY 1",
                                arguments: [type])
        }
    }

    public func architectures(type: String, os: String) throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT dirArch FROM package WHERE dirType = ? AND dirOS = ? ORDER BY 1
                """, arguments: [type, os])
        }
    }

    /// Each version directory of an arch directory with the format of its packages
    /// (the format picks the ordering).
    public func versions(type: String, os: String, arch: String) throws -> [(version: String, format: PackageFormat)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT dirVersion, MIN(format) AS format FROM package
                WHERE dirType = ? AND dirOS = ? AND dirArch = ? GROUP BY dirVersion
                """, arguments: [type, os, arch]).map {
                (version: $0["dirVersion"] as String, format: PackageFormat(rawValue: $0["format"]) ?? .file)
            }
        }
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

    public func allSummaries() throws -> [PackageSummary] {
        try summaries(where: "1 ORDER BY id", [])
    }

    /// OCP keyword semantics: name, type, version, OS or architecture contains the keyword,
    /// case-insensitively; newest upload first.
    public func search(keyword: String) throws -> [PackageSummary] {
        let escaped = keyword.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        let pattern = "%\(escaped)%"
        return try summaries(where: """
            name LIKE ?1 ESCAPE '\\' OR type LIKE ?1 ESCAPE '\\' OR version LIKE ?1 ESCAPE '\\'
            OR operatingSystem LIKE ?1 ESCAPE '\\' OR architecture LIKE ?1 ESCAPE '\\'
            ORDER BY createdAt DESC, id DESC
            """, [pattern])
    }

    public func package(id: Int64) throws -> Package? {
        try read { db in try PackageRecord.fetchOne(db, key: id)?.package }
    }

    public func packageCount() throws -> Int {
        try read { db in try PackageRecord.fetchCount(db) }
    }

    public func receipts() throws -> [(fileName: String, location: PackageLocation)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.fileName, p.dirType, p.dirOS, p.dirArch, p.dirVersion, p.dirName
                FROM receipt r JOIN package p ON p.id = r.packageId ORDER BY r.fileName
                """).map { ($0["fileName"], Self.location($0)) }
        }
    }

    public func receipt(fileName: String) throws -> PackageLocation? {
        try read { db in
            try Row.fetchOne(db, sql: """
                SELECT p.dirType, p.dirOS, p.dirArch, p.dirVersion, p.dirName
                FROM receipt r JOIN package p ON p.id = r.packageId WHERE r.fileName = ?
                """, arguments: [fileName]).map(Self.location)
        }
    }

    public enum DigestKind: String, Sendable { case sha1, sha256 }

    public func distinctDigests(_ kind: DigestKind) throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT DISTINCT \(kind.rawValue) FROM package ORDER BY 1") }
    }

    public func referencedDigests() throws -> Set<String> {
        try read { db in Set(try String.fetchAll(db, sql: "SELECT DISTINCT sha256 FROM package")) }
    }

    // MARK: - plumbing

    private static let summaryColumns = """
        id, uuid, fileName, size, format, version, createdAt, modifiedAt, dirType, dirOS, dirArch, dirVersion, dirName
        """

    private func summaries(where clause: String, _ arguments: StatementArguments) throws -> [PackageSummary] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.summaryColumns) FROM package WHERE \(clause)",
                             arguments: arguments).map(Self.summary)
        }
    }

    static func summary(_ row: Row) -> PackageSummary {
        PackageSummary(id: row["id"], uuid: row["uuid"], fileName: row["fileName"], size: row["size"],
                       format: row["format"], version: row["version"], createdAt: row["createdAt"],
                       modifiedAt: row["modifiedAt"], location: location(row))
    }

    static func location(_ row: Row) -> PackageLocation {
        PackageLocation(type: row["dirType"], os: row["dirOS"], arch: row["dirArch"],
                        version: row["dirVersion"], name: row["dirName"])
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch let error as DatabaseError {
            throw StoreError.io("catalog read failed: \(error.message ?? "\(error)")", errno: EIO)
        }
    }
}
