import Foundation
import PkgfsModel
@testable import PkgfsStore
import TestSupport
import XCTest

/// search/<keyword> (OCP keyword semantics) through the distinct search terms and the
/// per-column indexes, and the directory levels read by loose index scans.
final class CatalogSearchTests: TemporaryRootTestCase {
    @discardableResult
    func upload(_ repo: Repository, _ name: String, seed: UInt8) throws -> PkgfsModel.Package {
        let session = try repo.beginUpload(fileName: name, uploader: "tester")
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
        _ = try bytes.withUnsafeBytes { try session.write(at: 0, $0) }
        return try repo.finishUpload(session).package
    }

    /// The file names of the hits, in their order.
    func search(_ catalog: Catalog, _ keyword: String) throws -> [String] {
        try catalog.searchHits(keyword: keyword).map { try XCTUnwrap(try catalog.summary(id: $0.id)).fileName }
    }

    func terms(_ catalog: Catalog) throws -> [String] {
        try catalog.read { db in try String.fetchAll(db, sql: "SELECT value FROM searchTerm ORDER BY kind, value") }
    }

    func testKeywordsLongAndShortMatchSubstringsCaseInsensitively() throws {
        let repo = try Repository(root: root)
        try upload(repo, "obproxy-ce-4.2.0-1.el7.x86_64.bin", seed: 1)
        try upload(repo, "ocp-agent-4.3.1-2.el8.aarch64.bin", seed: 2)
        try upload(repo, "tool_x-1.0.bin", seed: 3)
        try upload(repo, "Überwachung-agent-2.1-1.el9.x86_64.bin", seed: 4)
        let catalog = repo.catalog
        XCTAssertEqual(try search(catalog, "PROXY"), ["obproxy-ce-4.2.0-1.el7.x86_64.bin"])
        XCTAssertEqual(try search(catalog, "aarch"), ["ocp-agent-4.3.1-2.el8.aarch64.bin"], "architecture")
        XCTAssertEqual(try search(catalog, "4.3.1"), ["ocp-agent-4.3.1-2.el8.aarch64.bin"], "version")
        XCTAssertEqual(Set(try search(catalog, "EL")).count, 3, "two letters: OS")
        XCTAssertEqual(try search(catalog, "_x"), ["tool_x-1.0.bin"], "SQL wildcards are literal")
        XCTAssertEqual(try search(catalog, "üBERW"), ["Überwachung-agent-2.1-1.el9.x86_64.bin"], "case beyond ASCII")
        XCTAssertEqual(try search(catalog, "BERWACHUNG"), ["Überwachung-agent-2.1-1.el9.x86_64.bin"], "ASCII part of a name")
        XCTAssertEqual(try search(catalog, "o%"), [])
        XCTAssertEqual(try search(catalog, "\\"), [], "the escape character is literal")
        XCTAssertEqual(try search(catalog, "a\"b OR c"), [], "query syntax in a keyword is text")
        XCTAssertEqual(try search(catalog, "nomatch"), [])
        XCTAssertEqual(try search(catalog, "").count, 4, "no keyword: every package")
    }

    func testHitsComeOnceEachNewestFirstWithTheirPlaceInTheTree() throws {
        let repo = try Repository(root: root)
        var uploaded: [String] = []
        for index in 0..<40 {
            let name = "tool-\(index)-1.0.bin"
            try upload(repo, name, seed: UInt8(truncatingIfNeeded: index))
            uploaded.append(name)
            if index % 10 == 0 { try upload(repo, "other-\(index)-1.0.bin", seed: UInt8(truncatingIfNeeded: index)) }
        }
        // In the name and in the architecture: one hit.
        try upload(repo, "x86-tools-2.0-1.el7.x86_64.bin", seed: 99)
        let catalog = repo.catalog
        XCTAssertEqual(try search(catalog, "tool"), ["x86-tools-2.0-1.el7.x86_64.bin"] + uploaded.reversed(),
                       "every hit once, newest first")
        XCTAssertEqual(try search(catalog, "x86"), ["x86-tools-2.0-1.el7.x86_64.bin"])
        for keyword in ["tool", "to", "other", "x86", "el7"] {
            let hits = try catalog.searchHits(keyword: keyword)
            XCTAssertFalse(hits.isEmpty, keyword)
            XCTAssertEqual(Set(hits.map(\.id)).count, hits.count, "\(keyword): no package twice")
            XCTAssertEqual(hits.map(\.createdAt), hits.map(\.createdAt).sorted(by: >), keyword)
            for hit in hits {
                let summary = try XCTUnwrap(try catalog.summary(id: hit.id))
                XCTAssertEqual(hit.location, summary.location, "\(keyword): read from the index, as the row has it")
                XCTAssertEqual(hit.createdAt, summary.createdAt)
            }
        }
    }

    func testATermWithManyHitsIsReadInSlicesAndEachHitComesOnce() throws {
        let repo = try Repository(root: root)
        var uploaded: [String] = []
        for index in 0..<60 {
            let name = index % 3 == 0 ? "agent-ce-1.\(index)-1.el7.x86_64.bin" : "agent-1.\(index)-1.el7.x86_64.bin"
            try upload(repo, name, seed: UInt8(truncatingIfNeeded: index))
            uploaded.append(name)
        }
        let catalog = repo.catalog
        let alone = [SearchTerm(column: "name", value: "agent-ce")]
        XCTAssertEqual(try catalog.searchSlices(of: alone).count, Catalog.searchReaders, "a term alone: one slice a reader")
        let slices = try catalog.searchSlices(of: alone + [SearchTerm(column: "name", value: "agent")])
        XCTAssertEqual(slices.count, Catalog.searchReaders)
        XCTAssertEqual(slices.first?.from, -.infinity, "the first slice has no lower bound")
        XCTAssertEqual(slices.last?.upTo, .infinity, "the last slice has no upper bound")
        XCTAssertEqual(try search(catalog, "agent-ce"), uploaded.filter { $0.hasPrefix("agent-ce") }.reversed())
        XCTAssertEqual(try search(catalog, "AGENT"), uploaded.reversed(), "two terms, in slices each: every hit once")
        XCTAssertEqual(try search(catalog, "1.5"), ["agent-1.59-1.el7.x86_64.bin", "agent-1.58-1.el7.x86_64.bin",
                                                    "agent-ce-1.57-1.el7.x86_64.bin", "agent-1.56-1.el7.x86_64.bin",
                                                    "agent-1.55-1.el7.x86_64.bin", "agent-ce-1.54-1.el7.x86_64.bin",
                                                    "agent-1.53-1.el7.x86_64.bin", "agent-1.52-1.el7.x86_64.bin",
                                                    "agent-ce-1.51-1.el7.x86_64.bin", "agent-1.50-1.el7.x86_64.bin",
                                                    "agent-1.5-1.el7.x86_64.bin"], "many terms of one hit each")
    }

    func testAHitUploadedAtASliceBoundaryComesOnce() throws {
        let repo = try Repository(root: root)
        var uploaded: [String] = []
        for index in 0...Catalog.searchReaders {
            let name = "probe-1.\(index)-1.el7.x86_64.bin"
            try upload(repo, name, seed: UInt8(truncatingIfNeeded: index))
            uploaded.append(name)
        }
        // Upload times 0, 1, …: every bound between two slices is some package's time.
        try repo.catalog.pool.write { db in
            try db.execute(sql: "UPDATE package SET createdAt = id - (SELECT MIN(id) FROM package)")
        }
        let slices = try repo.catalog.searchSlices(of: [SearchTerm(column: "name", value: "probe")])
        XCTAssertEqual(slices.dropFirst().map(\.from), (1..<Catalog.searchReaders).map(Double.init))
        XCTAssertEqual(try search(repo.catalog, "probe"), uploaded.reversed())
    }

    func testPagesOfAllPackagesFollowTheSearchOrder() throws {
        let repo = try Repository(root: root)
        for index in 0..<7 { try upload(repo, "page-\(index)-1.0.bin", seed: UInt8(index)) }
        let everything = try repo.catalog.searchHits(keyword: "").map(\.id)
        XCTAssertEqual(everything.count, 7)
        for ascending in [false, true] {
            let expected = ascending ? Array(everything.reversed()) : everything
            var paged: [Int64] = []
            for offset in stride(from: 0, to: 9, by: 3) {
                let (ids, total) = try repo.catalog.pageOfAll(offset: offset, limit: 3, ascending: ascending)
                XCTAssertEqual(total, 7)
                paged += ids
            }
            XCTAssertEqual(paged, expected, ascending ? "oldest first" : "newest first")
        }
    }

    func testATermLivesWhileAPackageHasIt() throws {
        let repo = try Repository(root: root)
        let gone = try upload(repo, "obproxy-ce-4.2.0-1.el7.x86_64.bin", seed: 1)
        let kept = try upload(repo, "obproxy-ce-4.2.1-1.el7.x86_64.bin", seed: 2)
        XCTAssertTrue(try terms(repo.catalog).contains("4.2.0"))
        _ = try repo.delete(id: gone.id)
        XCTAssertEqual(try search(repo.catalog, "obproxy"), ["obproxy-ce-4.2.1-1.el7.x86_64.bin"])
        XCTAssertFalse(try terms(repo.catalog).contains("4.2.0"), "no package has that version any more")
        XCTAssertTrue(try terms(repo.catalog).contains("obproxy-ce"), "one still has that name")
        _ = try repo.delete(id: kept.id)
        XCTAssertEqual(try terms(repo.catalog), [])
        XCTAssertEqual(try search(repo.catalog, "obproxy"), [])
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

final class CatalogUpgradeTests: TemporaryRootTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func testACatalogWithTheTrigramIndexGetsSearchTermsInstead() throws {
        let repo = try Repository(root: root)
        for (index, name) in ["obproxy-ce-4.2.0-1.el7.x86_64.bin", "ocp-agent-4.3.1-2.el8.aarch64.bin"].enumerated() {
            let session = try repo.beginUpload(fileName: name, uploader: "tester")
            _ = try [UInt8(index), 1, 2].withUnsafeBytes { try session.write(at: 0, $0) }
            _ = try repo.finishUpload(session)
        }
        let path = root + "/catalog.sqlite"
        // Back to the schema of v4: the trigram index of v3, no search terms.
        try repo.catalog.pool.write { db in
            try db.execute(sql: """
                DROP TRIGGER searchTerm_insert; DROP TRIGGER searchTerm_delete; DROP TRIGGER searchTerm_update;
                DROP TABLE searchTerm;
                CREATE VIRTUAL TABLE packageSearch USING fts5(name, content='package', content_rowid='id', tokenize='trigram');
                CREATE TRIGGER packageSearch_insert AFTER INSERT ON package BEGIN
                    INSERT INTO packageSearch(rowid, name) VALUES (new.id, new.name);
                END;
                DELETE FROM grdb_migrations WHERE identifier LIKE 'v5:%';
                """)
            for column in SearchSchema.columns { try db.execute(sql: "DROP INDEX \(SearchSchema.index(of: column))") }
        }
        var heard: [String] = []
        let upgraded = try Catalog(path: path, upgrading: { heard.append($0) })
        XCTAssertEqual(heard.count, 1)
        XCTAssertTrue(heard.first?.contains("v5:") == true, "\(heard)")
        XCTAssertEqual(try upgraded.searchHits(keyword: "agent").map(\.name).count, 1)
        XCTAssertEqual(try upgraded.searchHits(keyword: "el").count, 2)
        let leftovers = try upgraded.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE name LIKE 'packageSearch%'")
        }
        XCTAssertEqual(leftovers, [], "the trigram index and its triggers are gone")
    }

    func testACatalogMissingASchemaStepIsUpgradedAndSaysSo() throws {
        let path = root + "/catalog.sqlite"
        var heard: [String] = []
        do {
            let fresh = try Catalog(path: path, upgrading: { heard.append($0) })
            XCTAssertEqual(heard, [], "a new catalog is not an upgrade")
            // A catalog from before the indexes of v4 and the epochs of v6.
            try fresh.pool.write { db in
                try db.execute(sql: "DROP INDEX package_verifying")
                try db.execute(sql: "DROP INDEX package_version_format_epoch")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v4:%' OR identifier LIKE 'v6:%'")
            }
        }
        let upgraded = try Catalog(path: path, upgrading: { heard.append($0) })
        XCTAssertEqual(heard.count, 1)
        XCTAssertTrue(heard.first?.contains("v4: indexes for the first requests after a mount; v6: RPM epochs in version order, latest among available packages") == true, "\(heard)")
        let indexes = try upgraded.read { db in
            try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'package_ver%'
                ORDER BY name
                """)
        }
        XCTAssertEqual(indexes, ["package_verifying", "package_version_format_epoch"])
    }
}
