import Foundation
import GRDB

/// The SQLite catalog: one `DatabasePool` (WAL: concurrent readers, one writer),
/// schema changes only through the migrator.
public final class Catalog: Sendable {
    let pool: DatabasePool

    /// `upgrading` hears, before it starts, of a schema change the catalog still needs: on a
    /// big catalog one can take seconds (an index over a million packages: about 5 s).
    public init(path: String, upgrading: (String) -> Void = { _ in }) throws {
        var config = Configuration()
        config.busyMode = .timeout(30)
        // A search reads `searchReaders` index ranges at once, by-id/ and the digest directories
        // `hexSliceBounds.count + 1`; requests that arrive meanwhile need readers too.
        config.maximumReaderCount = max(Catalog.searchReaders, Catalog.hexSliceBounds.count + 1) + 4
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            db.add(function: SearchSchema.containsFunction)
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // A registered package must survive power loss, not only a crash: every commit
            // syncs the WAL. Set on the writer after the pool is made, because the pool's WAL
            // setup runs after `prepareDatabase` and sets NORMAL (syncs at checkpoints only).
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            let migrator = Self.migrator
            let applied = try pool.read { try migrator.appliedIdentifiers($0) }
            let missing = migrator.migrations.filter { !applied.contains($0) }
            // A new catalog gets every step at once, and quickly: only an upgrade is announced.
            if !applied.isEmpty && !missing.isEmpty {
                upgrading("upgrading the catalog (\(missing.joined(separator: "; "))); this can take a while")
            }
            try migrator.migrate(pool)
            // An upload's transaction made SQLite create and delete a temporary file each time
            // (a 50 KiB RPM's inserts: 161–196 µs, 115–134 µs in memory). Set after the schema
            // steps, whose index builds on a big catalog would otherwise sort in memory too.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA temp_store = MEMORY") }
        } catch let error as DatabaseError {
            throw StoreError.io("cannot open catalog \(path): \(error.message ?? "\(error)")", errno: EIO)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: packages and receipts") { db in
            try db.create(table: "package") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("uuid", .text).notNull().unique()
                t.column("fileName", .text).notNull().unique()
                t.column("name", .text).notNull()
                t.column("fileExtension", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("sha1", .text).notNull().indexed()
                t.column("sha256", .text).notNull().indexed()
                t.column("type", .text).notNull()
                t.column("version", .text).notNull()
                t.column("buildNumber", .text).notNull()
                t.column("operatingSystem", .text).notNull()
                t.column("architecture", .text).notNull()
                t.column("format", .text).notNull()
                t.column("epoch", .integer)
                t.column("release", .text)
                t.column("state", .text).notNull()
                t.column("stateDetails", .text).notNull()
                t.column("labels", .text).notNull()
                t.column("createdAt", .double).notNull().indexed()
                t.column("modifiedAt", .double).notNull()
                t.column("createdBy", .text).notNull()
                t.column("modifiedBy", .text).notNull()
                t.column("formatDetails", .text)
                t.column("dirType", .text).notNull()
                t.column("dirOS", .text).notNull()
                t.column("dirArch", .text).notNull()
                t.column("dirVersion", .text).notNull()
                t.column("dirName", .text).notNull()
            }
            try db.create(index: "package_tree", on: "package",
                          columns: ["dirType", "dirOS", "dirArch", "dirVersion", "dirName"], unique: true)
            try db.create(table: "receipt") { t in
                t.primaryKey("fileName", .text)
                t.belongsTo("package", onDelete: .cascade).notNull()
            }
        }
        migrator.registerMigration("v2: payload entries") { db in
            // The payload of a package (files/, SPEC §3), listed once at registration so browsing
            // never decompresses. `payload`: one row per package that has one, how to read it.
            try db.create(table: "payload") { t in
                t.primaryKey("packageId", .integer).references("package", onDelete: .cascade)
                t.column("container", .text).notNull()
                t.column("entryCount", .integer).notNull()
            }
            // One row per entry, as `PayloadEntry` has it. `parent` is the directory path ("" at
            // the payload root), `name` the last component: children of D are (packageId, parent = D).
            try db.create(table: "payloadEntry", options: [.withoutRowID]) { t in
                t.column("packageId", .integer).notNull().references("package", onDelete: .cascade)
                t.column("path", .text).notNull()
                t.column("parent", .text).notNull()
                t.column("name", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("mode", .integer).notNull()
                t.column("size", .integer).notNull()
                t.column("mtime", .integer).notNull()
                t.column("linkTarget", .text)
                t.column("uid", .integer)
                t.column("gid", .integer)
                t.column("userName", .text)
                t.column("groupName", .text)
                t.column("archiveIndex", .integer)
                t.column("dataIndex", .integer)
                t.primaryKey(["packageId", "path"])
            }
            try db.create(index: "payloadEntry_children", on: "payloadEntry",
                          columns: ["packageId", "parent", "name"], unique: true)
        }
        migrator.registerMigration("v3: keyword search index") { db in
            // search/<keyword> is a substring match on five columns: a trigram index answers it
            // without reading every package. It holds no copy of the text (content=package);
            // triggers keep it in step with every insert, update and delete.
            let columns = "name, type, version, operatingSystem, architecture"
            let new = "new.name, new.type, new.version, new.operatingSystem, new.architecture"
            let old = "old.name, old.type, old.version, old.operatingSystem, old.architecture"
            try db.execute(sql: """
                CREATE VIRTUAL TABLE packageSearch USING fts5(\(columns), content='package', content_rowid='id',
                                                             tokenize='trigram');
                INSERT INTO packageSearch(packageSearch) VALUES ('rebuild');
                CREATE TRIGGER packageSearch_insert AFTER INSERT ON package BEGIN
                    INSERT INTO packageSearch(rowid, \(columns)) VALUES (new.id, \(new));
                END;
                CREATE TRIGGER packageSearch_delete AFTER DELETE ON package BEGIN
                    INSERT INTO packageSearch(packageSearch, rowid, \(columns)) VALUES ('delete', old.id, \(old));
                END;
                CREATE TRIGGER packageSearch_update AFTER UPDATE OF \(columns) ON package BEGIN
                    INSERT INTO packageSearch(packageSearch, rowid, \(columns)) VALUES ('delete', old.id, \(old));
                    INSERT INTO packageSearch(rowid, \(columns)) VALUES (new.id, \(new));
                END;
                """)
        }
        migrator.registerMigration("v4: indexes for the first requests after a mount") { db in
            // Opening a store looks for packages a crash left `verifying`: without this, a
            // pass over every row (seconds on a cold million-package catalog).
            try db.execute(sql: "CREATE INDEX package_verifying ON package(id) WHERE state = 'verifying'")
            // `latest` and version directories read each version's format; with it in an index
            // no package row is read.
            try db.create(index: "package_version_format", on: "package",
                          columns: ["dirType", "dirOS", "dirArch", "dirVersion", "format"])
        }
        migrator.registerMigration("v5: search by distinct terms and covering indexes") { db in
            try SearchSchema.replaceTrigramIndex(db)
        }
        migrator.registerMigration("v6: RPM epochs in version order, latest among available packages") { db in
            // Version directories are ordered by their packages' epoch too, and `latest` skips
            // those without an available package; with both in the index, still no package
            // row is read.
            try db.create(index: "package_version_format_epoch", on: "package",
                          columns: ["dirType", "dirOS", "dirArch", "dirVersion", "format", "epoch", "state"])
            try db.drop(index: "package_version_format")
        }
        return migrator
    }

    /// SQLite's own check of the whole file: "ok" when sound.
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }
}
