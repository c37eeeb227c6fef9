import Foundation
import GRDB
import PkgfsFormats

/// The payload listing of each package (`files/`, SPEC §3), written once at registration
/// (inside `register`'s transaction) and read by the tree: listing a directory or looking
/// up a path is one indexed query, never a decompression.
extension Catalog {
    /// How the payload of a package is packed in its blob; nil when it has none (not an
    /// rpm/deb/tar/zip, or its payload could not be listed).
    public func payloadContainer(packageID: Int64) throws -> PayloadContainer? {
        try read { db in try payloadContainer(packageID: packageID, db) }
    }

    func payloadContainer(packageID: Int64, _ db: Database) throws -> PayloadContainer? {
        try String.fetchOne(cached: db, sql: "SELECT container FROM payload WHERE packageId = ?",
                            arguments: [packageID]).flatMap(PayloadContainer.init(rawValue:))
    }

    /// The entries directly inside directory `directory` ("" for the payload root), by name.
    public func payloadChildren(packageID: Int64, directory: String) throws -> [PayloadEntry] {
        try read { db in
            try Row.fetchAll(cached: db, sql: """
                SELECT \(Self.payloadColumns) FROM payloadEntry
                WHERE packageId = ? AND parent = ? ORDER BY name
                """, arguments: [packageID, directory]).map(Self.payloadEntry)
        }
    }

    /// The entry at normalized path `path` (`usr/bin/hello`).
    public func payloadEntry(packageID: Int64, path: String) throws -> PayloadEntry? {
        try read { db in
            try Row.fetchOne(cached: db, sql: """
                SELECT \(Self.payloadColumns) FROM payloadEntry WHERE packageId = ? AND path = ?
                """, arguments: [packageID, path]).map(Self.payloadEntry)
        }
    }

    /// The entries of a package that have bytes, one per data index (a hard link shares its
    /// target's), in the order their bytes lie in the payload.
    public func payloadDataEntries(packageID: Int64) throws -> [PayloadEntry] {
        try read { db in
            let entries = try Row.fetchAll(db, sql: """
                SELECT \(Self.payloadColumns) FROM payloadEntry
                WHERE packageId = ? AND dataIndex IS NOT NULL AND kind IN ('file', 'hardlink')
                """, arguments: [packageID]).map(Self.payloadEntry)
            var seen = Set<Int>()
            return entries.sorted { ($0.dataIndex ?? 0) < ($1.dataIndex ?? 0) }.filter { seen.insert($0.dataIndex ?? -1).inserted }
        }
    }

    /// Number of entries recorded for a package (0 when it has no payload).
    public func payloadEntryCount(packageID: Int64) throws -> Int {
        try read { db in
            try Int.fetchOne(cached: db, sql: "SELECT COUNT(*) FROM payloadEntry WHERE packageId = ?",
                             arguments: [packageID]) ?? 0
        }
    }

    // MARK: - writing (inside register's transaction)

    /// Records the listing of a newly inserted package: multi-row INSERTs of `batch` rows, then
    /// one row at a time. Both statements stay prepared on the writer's connection; compiling
    /// one per upload cost more than running it for a package of a few files.
    func recordPayload(_ entries: [PayloadEntry]?, container: PayloadContainer?, packageID: Int64,
                       _ db: Database) throws {
        guard let entries, let container else { return }
        try db.cachedStatement(sql: "INSERT INTO payload (packageId, container, entryCount) VALUES (?, ?, ?)")
            .execute(arguments: [packageID, container.rawValue, entries.count])
        let batch = Self.payloadBatch
        let inBatches = entries.count - entries.count % batch
        var values: [(any DatabaseValueConvertible)?] = []
        values.reserveCapacity(batch * (Self.payloadColumnList.count + 1))
        for start in stride(from: 0, to: inBatches, by: batch) {
            for entry in entries[start..<start + batch] { Self.appendRow(of: entry, packageID: packageID, to: &values) }
            try db.cachedStatement(sql: Self.payloadBatchInsert).execute(arguments: StatementArguments(values))
            values.removeAll(keepingCapacity: true)
        }
        for entry in entries[inBatches...] {
            Self.appendRow(of: entry, packageID: packageID, to: &values)
            try db.cachedStatement(sql: Self.payloadRowInsert).execute(arguments: StatementArguments(values))
            values.removeAll(keepingCapacity: true)
        }
    }

    /// One payloadEntry row's values, in the order of `payloadInsertSQL`.
    private static func appendRow(of entry: PayloadEntry, packageID: Int64,
                                  to values: inout [(any DatabaseValueConvertible)?]) {
        let (parent, name) = split(entry.path)
        values += [packageID, entry.path, parent, name, entry.kind.rawValue, Int64(entry.mode), entry.size,
                   entry.mtime, entry.linkTarget, entry.uid, entry.gid, entry.userName, entry.groupName,
                   entry.archiveIndex, entry.dataIndex]
    }

    private static let payloadBatch = 256
    private static let payloadRowInsert = payloadInsertSQL(rows: 1)
    private static let payloadBatchInsert = payloadInsertSQL(rows: payloadBatch)

    private static func payloadInsertSQL(rows: Int) -> String {
        let placeholder = "(" + Array(repeating: "?", count: payloadColumnList.count + 1).joined(separator: ",") + ")"
        return "INSERT INTO payloadEntry (packageId, \(payloadColumns)) VALUES "
            + Array(repeating: placeholder, count: rows).joined(separator: ",")
    }

    // MARK: - plumbing

    private static let payloadColumnList = [
        "path", "parent", "name", "kind", "mode", "size", "mtime", "linkTarget",
        "uid", "gid", "userName", "groupName", "archiveIndex", "dataIndex",
    ]
    private static let payloadColumns = payloadColumnList.joined(separator: ", ")

    /// `a/b/c` → (`a/b`, `c`); `a` → (``, `a`).
    static func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return ("", path) }
        return (String(path[..<slash]), String(path[path.utf8.index(after: slash)...]))
    }

    private static func payloadEntry(_ row: Row) -> PayloadEntry {
        PayloadEntry(path: row["path"], kind: PayloadEntry.Kind(rawValue: row["kind"]) ?? .other,
                     mode: UInt32(truncatingIfNeeded: row["mode"] as Int64), size: row["size"],
                     mtime: row["mtime"], linkTarget: row["linkTarget"], uid: row["uid"], gid: row["gid"],
                     userName: row["userName"], groupName: row["groupName"],
                     archiveIndex: row["archiveIndex"], dataIndex: row["dataIndex"])
    }
}
