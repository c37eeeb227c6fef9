import Foundation
import GRDB
import XCTest
@testable import PkgfsStore

/// Package rows are decoded by position; this holds the positions to the migrated schema.
/// And the catalog's settings that durability rests on.
final class CatalogSchemaTests: XCTestCase {
    func testEveryCommitSyncsTheWriteAheadLog() throws {
        let root = NSTemporaryDirectory() + "pkgfs-schema-" + UUID().uuidString.prefix(8).lowercased()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repository = try Repository(root: root)
        defer { repository.releaseLock() }
        let pool = repository.catalog.pool
        let journal = try pool.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(journal, "wal")
        // 2 = FULL: a commit returns only once the WAL is on disk (NORMAL, 1, would lose the
        // last commits at a power loss).
        let writer = try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        XCTAssertEqual(writer, 2)
    }

    func testPackageRowsDecodeByTheMigratedColumnOrder() throws {
        let root = NSTemporaryDirectory() + "pkgfs-schema-" + UUID().uuidString.prefix(8).lowercased()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repository = try Repository(root: root)
        defer { repository.releaseLock() }
        let catalog = repository.catalog
        let columns = try catalog.pool.read { db in try db.columns(in: "package").map(\.name) }
        XCTAssertEqual(columns, PackageRecord.columnOrder)
        try repository.generateSyntheticPackages(count: 20, seed: 3)
        XCTAssertEqual(try catalog.allSummaries().count, 20)
        for summary in try catalog.allSummaries() {
            let package = try XCTUnwrap(try catalog.package(id: summary.id))
            XCTAssertEqual(package.fileName, summary.fileName)
            XCTAssertEqual(package.uuid, summary.uuid)
            XCTAssertEqual(package.size, summary.size)
            XCTAssertEqual(package.state, summary.state)
            XCTAssertEqual(package.modifiedAt.timeIntervalSince1970, summary.modifiedAt)
            XCTAssertEqual(summary.location.name.isEmpty, false)
        }
    }
}
