import Foundation
import GRDB
import XCTest
import PkgfsModel
@testable import PkgfsStore
import TestSupport

/// Package rows are decoded by position; this holds the positions to the migrated schema.
/// And the catalog's settings that durability rests on.
final class CatalogSchemaTests: TemporaryRootTestCase {
    func testEveryCommitSyncsTheWriteAheadLog() throws {
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

    func testARowInsertedByPositionReadsBackWhole() throws {
        let repository = try Repository(root: root)
        defer { repository.releaseLock() }
        // Every field set, and no two string fields alike, so a value in the wrong column shows.
        var package = PkgfsModel.Package(
            name: "demo", fileName: "demo-2.1-3.el9.aarch64.rpm", fileExtension: "rpm", size: 4321,
            sha1: String(repeating: "1", count: 40), type: "DEMO_PACKAGE", version: "2.1", buildNumber: "3.el9",
            operatingSystem: "el9", architecture: "aarch64", uuid: "0b7e1c2a-3d4f-4a5b-8c6d-7e8f9a0b1c2d",
            sha256: String(repeating: "2", count: 64), format: .rpm, epoch: 7, release: "3.el9", state: .available,
            stateDetails: [StateDetail(type: "t", title: "a title", detail: "a detail")],
            createdAt: Date(timeIntervalSince1970: 1_700_000_000.25),
            modifiedAt: Date(timeIntervalSince1970: 1_700_000_001.5), createdBy: "uploader", modifiedBy: "changer",
            formatDetailsJSON: #"{"rpm":true}"#)
        package.labels = [Label(name: "team", value: "storage")]
        var record = PackageRecord(package)
        try repository.catalog.pool.write { db in try record.insertRow(db) }
        package.id = try XCTUnwrap(record.id)
        XCTAssertEqual(try repository.catalog.package(id: package.id), package)
        XCTAssertEqual(try repository.catalog.allSummaries().first?.location, PackageLocation(of: package))
    }

    func testPackageRowsDecodeByTheMigratedColumnOrder() throws {
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
