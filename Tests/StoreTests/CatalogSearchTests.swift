import Foundation
import PkgfsModel
@testable import PkgfsStore
import XCTest

/// search/<keyword> (OCP keyword semantics) through the trigram index, the scan for short
/// keywords, and the directory levels read by loose index scans.
final class CatalogSearchTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "pkgfs-search-test-" + UUID().uuidString.prefix(8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    @discardableResult
    func upload(_ repo: Repository, _ name: String, seed: UInt8) throws -> PkgfsModel.Package {
        let session = try repo.beginUpload(fileName: name, uploader: "tester")
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
        _ = try bytes.withUnsafeBytes { try session.write(at: 0, $0) }
        return try repo.finishUpload(session).package
    }

    func names(_ found: [PackageSummary]) -> [String] { found.map(\.fileName) }

    func testKeywordsLongAndShortMatchSubstringsCaseInsensitively() throws {
        let repo = try Repository(root: root)
        try upload(repo, "obproxy-ce-4.2.0-1.el7.x86_64.bin", seed: 1)
        try upload(repo, "ocp-agent-4.3.1-2.el8.aarch64.bin", seed: 2)
        try upload(repo, "tool_x-1.0.bin", seed: 3)
        let catalog = repo.catalog
        XCTAssertEqual(names(try catalog.search(keyword: "PROXY")), ["obproxy-ce-4.2.0-1.el7.x86_64.bin"])
        XCTAssertEqual(names(try catalog.search(keyword: "aarch")), ["ocp-agent-4.3.1-2.el8.aarch64.bin"], "architecture")
        XCTAssertEqual(names(try catalog.search(keyword: "4.3.1")), ["ocp-agent-4.3.1-2.el8.aarch64.bin"], "version")
        XCTAssertEqual(Set(names(try catalog.search(keyword: "EL"))).count, 2, "two letters: answered by a scan")
        XCTAssertEqual(names(try catalog.search(keyword: "_x")), ["tool_x-1.0.bin"], "LIKE wildcards are literal")
        XCTAssertEqual(names(try catalog.search(keyword: "o%")), [])
        XCTAssertEqual(names(try catalog.search(keyword: "a\"b OR c")), [], "FTS syntax in a keyword is text")
        XCTAssertEqual(names(try catalog.search(keyword: "nomatch")), [])
    }

    func testManyHitsAreReadInPartsAndComeBackNewestFirst() throws {
        let repo = try Repository(root: root)
        let count = Catalog.parallelReadMinimum * 2 + 3
        var uploaded: [String] = []
        for index in 0..<count {
            let name = "tool-\(index)-1.0.bin"
            try upload(repo, name, seed: UInt8(truncatingIfNeeded: index))
            uploaded.append(name)
            if index % 10 == 0 { try upload(repo, "other-\(index)-1.0.bin", seed: UInt8(truncatingIfNeeded: index)) }
        }
        XCTAssertEqual(names(try repo.catalog.search(keyword: "tool")), uploaded.reversed(),
                       "every hit once, newest first, as one query returned them")
        for keyword in ["tool", "to", "other"] {
            let found = try repo.catalog.search(keyword: keyword)
            // Fewer hits than the limit (one read of summaries) and more (ids and names, then summaries).
            for limit in [1_000, 5] {
                let (hits, summaries) = try repo.catalog.searchHits(keyword: keyword, summarizingFirst: limit)
                XCTAssertEqual(hits.map(\.id), found.map(\.id), keyword)
                XCTAssertEqual(hits.map(\.name), found.map(\.location.name), keyword)
                XCTAssertEqual(Set(summaries), Set(found.prefix(limit)), "\(keyword): whole summaries of the first \(limit)")
            }
        }
    }

    func testDeletedPackagesLeaveTheIndex() throws {
        let repo = try Repository(root: root)
        let gone = try upload(repo, "obproxy-ce-4.2.0-1.el7.x86_64.bin", seed: 1)
        try upload(repo, "obproxy-ce-4.2.1-1.el7.x86_64.bin", seed: 2)
        _ = try repo.delete(id: gone.id)
        XCTAssertEqual(names(try repo.catalog.search(keyword: "obproxy")), ["obproxy-ce-4.2.1-1.el7.x86_64.bin"])
    }

    func testDirectoryLevelsAreDistinctAndOrdered() throws {
        let repo = try Repository(root: root)
        try upload(repo, "obproxy-ce-4.2.0-1.el7.x86_64.bin", seed: 1)
        try upload(repo, "obproxy-ce-4.2.1-1.el7.x86_64.bin", seed: 2)
        try upload(repo, "obproxy-ce-4.2.1-1.el8.x86_64.bin", seed: 3)
        try upload(repo, "obproxy-ce-4.2.1-1.el8.aarch64.bin", seed: 4)
        let catalog = repo.catalog
        let type = try XCTUnwrap(try catalog.types().first)
        XCTAssertEqual(try catalog.types(), [type])
        XCTAssertEqual(try catalog.operatingSystems(type: type), ["el7", "el8"])
        XCTAssertEqual(try catalog.architectures(type: type, os: "el8"), ["aarch64", "x86_64"])
        XCTAssertEqual(try catalog.versions(type: type, os: "el7", arch: "x86_64").map(\.version), ["4.2.0", "4.2.1"])
        XCTAssertTrue(try catalog.hasPackages(under: [type, "el8", "aarch64"]))
        XCTAssertFalse(try catalog.hasPackages(under: [type, "el9"]))
        XCTAssertEqual(try catalog.operatingSystems(type: "NO_SUCH_TYPE"), [])
    }
}

final class CatalogUpgradeTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "pkgfs-upgrade-test-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    func testACatalogMissingASchemaStepIsUpgradedAndSaysSo() throws {
        let path = root + "/catalog.sqlite"
        var heard: [String] = []
        do {
            let fresh = try Catalog(path: path, upgrading: { heard.append($0) })
            XCTAssertEqual(heard, [], "a new catalog is not an upgrade")
            // A catalog from before the indexes of v4.
            try fresh.pool.write { db in
                try db.execute(sql: "DROP INDEX package_verifying")
                try db.execute(sql: "DROP INDEX package_version_format")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v4:%'")
            }
        }
        let upgraded = try Catalog(path: path, upgrading: { heard.append($0) })
        XCTAssertEqual(heard.count, 1)
        XCTAssertTrue(heard.first?.contains("v4: indexes for the first requests after a mount") == true, "\(heard)")
        let indexes = try upgraded.read { db in
            try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_schema WHERE type = 'index' AND name IN ('package_verifying', 'package_version_format')
                ORDER BY name
                """)
        }
        XCTAssertEqual(indexes, ["package_verifying", "package_version_format"])
    }
}
