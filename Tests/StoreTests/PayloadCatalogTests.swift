import Foundation
import GRDB
import XCTest
import PkgfsFormats
import PkgfsModel
@testable import PkgfsStore

/// The payload listing is recorded with the package, in the same transaction, and read back
/// by directory and by path without touching the blob; it goes with its package.
final class PayloadCatalogTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "pkgfs-storetest-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: root + "/src/d/e", withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    func testListingIsRecordedQueriedAndDeletedWithItsPackage() throws {
        try "x".write(toFile: root + "/src/d/e/f", atomically: true, encoding: .utf8)
        try "y".write(toFile: root + "/src/top", atomically: true, encoding: .utf8)
        symlink("e/f", root + "/src/d/link")
        let tgz = root + "/p-1.0-1.el8.x86_64.tar.gz"
        XCTAssertEqual(Self.sh("tar czf \(tgz) -C \(root)/src d top"), 0)

        let repository = try Repository(root: root + "/store")
        defer { repository.releaseLock() }
        let package = try upload(tgz, to: repository)
        let catalog = repository.catalog
        XCTAssertEqual(try catalog.payloadContainer(packageID: package.id), .tar)
        XCTAssertEqual(try catalog.summary(id: package.id)?.hasPayload, true, "a summary says a payload is listed")
        XCTAssertEqual(try catalog.payloadChildren(packageID: package.id, directory: "").map(\.path), ["d", "top"])
        XCTAssertEqual(try catalog.payloadChildren(packageID: package.id, directory: "d").map(\.path), ["d/e", "d/link"])
        let f = try XCTUnwrap(try catalog.payloadEntry(packageID: package.id, path: "d/e/f"))
        XCTAssertEqual(f.kind, .file)
        XCTAssertEqual(f.size, 1)
        XCTAssertNotNil(f.dataIndex)
        XCTAssertEqual(try catalog.payloadEntry(packageID: package.id, path: "d/link")?.linkTarget, "e/f")
        XCTAssertNil(try catalog.payloadEntry(packageID: package.id, path: "d/missing"))
        // Exactly what listPayload gives, every field.
        let listed = try listPayload(path: repository.blobPath(of: package), container: .tar)
        for entry in listed {
            XCTAssertEqual(try catalog.payloadEntry(packageID: package.id, path: entry.path), entry)
        }
        XCTAssertEqual(try catalog.payloadEntryCount(packageID: package.id), listed.count)
        // PayloadReader reads an entry as the catalog returns it.
        let reader = try PayloadReader(path: repository.blobPath(of: package), container: .tar)
        XCTAssertEqual(try reader.readAll(f), Array("x".utf8))

        _ = try repository.delete(id: package.id)
        XCTAssertNil(try catalog.payloadContainer(packageID: package.id))
        XCTAssertEqual(try catalog.payloadEntryCount(packageID: package.id), 0)
    }

    func testManyEntriesAreInsertedInBatches() throws {
        // 1000 files: several full batches and a remainder.
        XCTAssertEqual(Self.sh("cd \(root)/src && for i in $(seq 1000); do echo $i > d/f$i; done && tar cf \(root)/many-1.0-1.el8.x86_64.tar d"), 0)
        let repository = try Repository(root: root + "/store")
        defer { repository.releaseLock() }
        let package = try upload(root + "/many-1.0-1.el8.x86_64.tar", to: repository)
        XCTAssertEqual(try repository.catalog.payloadEntryCount(packageID: package.id), 1002)
        let children = try repository.catalog.payloadChildren(packageID: package.id, directory: "d")
        XCTAssertEqual(children.count, 1001)
        XCTAssertEqual(children.map(\.path), children.map(\.path).sorted())
        XCTAssertEqual(try repository.catalog.payloadEntry(packageID: package.id, path: "d/f777")?.size, 4)
        // Rows of full batches and rows inserted one by one hold every field.
        let listed = try listPayload(path: repository.blobPath(of: package), container: .tar)
        XCTAssertEqual(listed.count, 1002)
        for entry in listed {
            XCTAssertEqual(try repository.catalog.payloadEntry(packageID: package.id, path: entry.path), entry)
        }
    }

    func testAPlainFileHasNoPayload() throws {
        try "just bytes".write(toFile: root + "/plain-1.0-1.el8.x86_64.bin", atomically: true, encoding: .utf8)
        let repository = try Repository(root: root + "/store")
        defer { repository.releaseLock() }
        let package = try upload(root + "/plain-1.0-1.el8.x86_64.bin", to: repository)
        XCTAssertNil(try repository.catalog.payloadContainer(packageID: package.id))
        XCTAssertEqual(try repository.catalog.summary(id: package.id)?.hasPayload, false)
        XCTAssertEqual(try repository.catalog.payloadChildren(packageID: package.id, directory: ""), [])
    }

    func testAVersion1CatalogIsMigrated() throws {
        let path = root + "/v1.sqlite"
        let queue = try DatabaseQueue(path: path)
        var v1 = DatabaseMigrator()
        v1.registerMigration("v1: packages and receipts") { db in
            // The columns later migrations read (the search of v3 and v5 the first five and those
            // a hit shows, the indexes of v4 and v6 the rest).
            try db.execute(sql: """
                CREATE TABLE package (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, type TEXT, version TEXT,
                                      operatingSystem TEXT, architecture TEXT, state TEXT, format TEXT, epoch INTEGER, createdAt REAL,
                                      dirType TEXT, dirOS TEXT, dirArch TEXT, dirVersion TEXT, dirName TEXT)
                """)
            try db.execute(sql: """
                INSERT INTO package (name, type, version, operatingSystem, architecture, createdAt,
                                     dirType, dirOS, dirArch, dirVersion, dirName)
                VALUES ('oceanbase-ce', 'OB_SERVER_INSTALL_PACKAGE', '4.2.1', 'el7', 'x86_64', 1,
                        'OB_SERVER_INSTALL_PACKAGE', 'el7', 'x86_64', '4.2.1', 'oceanbase-ce-4.2.1-1.el7.x86_64')
                """)
        }
        try v1.migrate(queue)
        try queue.close()
        let catalog = try Catalog(path: path)
        XCTAssertNil(try catalog.payloadContainer(packageID: 1))
        XCTAssertEqual(try catalog.payloadEntryCount(packageID: 1), 0)
        XCTAssertEqual(try catalog.searchHits(keyword: "EANBASE-C").map(\.id), [1],
                       "packages from before the search terms are found")
    }

    private func upload(_ path: String, to repository: Repository) throws -> PkgfsModel.Package {
        let name = (path as NSString).lastPathComponent
        let session = try repository.beginUpload(fileName: name, uploader: "test")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        _ = try data.withUnsafeBytes { try session.write(at: 0, $0) }
        let outcome = try repository.finishUpload(session)
        XCTAssertEqual(outcome.package.state.rawValue, "available", "\(outcome.package.stateDetails)")
        return outcome.package
    }

    static func sh(_ command: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", command]
        try? p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}
