import Foundation
@testable import PkgfsStore
import TestSupport
import XCTest

/// The compact search result: hits by position, newest first, and found by name and by id.
final class SearchHitsTests: TemporaryRootTestCase {
    func testAPositionTableFindsTheFirstPositionOfEachKey() {
        let keys = ["b", "a", "b", "c", "a", "d"]
        for hash in [{ (key: String) in key.hashValue }, { (_: String) in 7 }] {
            let table = PositionTable(count: keys.count, hash: { hash(keys[$0]) }, equal: { keys[$0] == keys[$1] })
            for (key, first) in [("a", 1), ("b", 0), ("c", 3), ("d", 5)] {
                XCTAssertEqual(table.find(hash: hash(key)) { keys[$0] == key }, first, key)
            }
            XCTAssertNil(table.find(hash: hash("e")) { keys[$0] == "e" })
        }
        XCTAssertNil(PositionTable(count: 0, hash: { _ in 0 }, equal: { _, _ in true }).find(hash: 0) { _ in true })
    }

    func testHitsAreFoundByNameAndByIDAndComeNewestFirstOrReversed() throws {
        let repo = try Repository(root: root)
        var uploaded: [String] = []
        for index in 0..<30 {
            let name = "tool-\(index % 3 == 0 ? "x" : "y")\(index)-1.0-1.el\(7 + index % 3).x86_64.bin"
            let session = try repo.beginUpload(fileName: name, uploader: "tester")
            _ = try [UInt8(index)].withUnsafeBytes { try session.write(at: 0, $0) }
            uploaded.append(try repo.finishUpload(session).package.uuid)
        }
        var hits = try repo.catalog.searchHits(keyword: "tool")
        XCTAssertEqual(hits.count, 30)
        XCTAssertEqual(try hits.map { try XCTUnwrap(try repo.catalog.package(id: $0.id)).uuid }, uploaded.reversed())
        let names = try hits.indices.map { position in
            let summary = try XCTUnwrap(try repo.catalog.summary(id: hits.id(at: position)))
            XCTAssertEqual(hits[position].location, summary.location, "parent directories shared by several hits")
            XCTAssertEqual(hits.name(at: position), summary.location.name)
            return hits.name(at: position)
        }
        let byName = hits.nameTable()
        let byID = hits.idTable()
        for (position, name) in names.enumerated() {
            XCTAssertEqual(hits.position(ofName: name, in: byName), position)
            XCTAssertEqual(hits.position(ofID: hits.id(at: position), in: byID), position)
        }
        XCTAssertNil(hits.position(ofName: "nothing", in: byName))
        XCTAssertNil(hits.position(ofID: -1, in: byID))
        let newestFirst = hits.map(\.id)
        hits.reverse()
        XCTAssertEqual(hits.map(\.id), newestFirst.reversed())
    }
}
