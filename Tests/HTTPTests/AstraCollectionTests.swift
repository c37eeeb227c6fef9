import Foundation
import Logging
@testable import PkgfsHTTP
import PkgfsStore
import TestSupport
import XCTest

/// The Astra packages collection's body, written a batch at a time: every package once, in
/// pages that cross batches, in the layout Foundation's pretty printer gives the whole object.
final class AstraCollectionTests: TemporaryRootTestCase {
    /// The body for these query parameters, parsed, and the number of chunks it came in.
    func collection(_ catalog: Catalog, _ query: [String: String]) async throws -> (json: [String: Any], chunks: Int) {
        let body = AstraCollectionBody(catalog: catalog, paging: try CollectionPaging { query[$0] },
                                       logger: Logger(label: "test"))
        var bytes: [UInt8] = []
        var chunks = 0
        try await body.write(startingWith: try await body.batch(after: body.paging.after, written: 0)) {
            bytes += $0
            chunks += 1
        }
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        // Foundation prints the same object byte for byte as it was written.
        XCTAssertEqual(String(decoding: JSONBody.data(object) + [0x0A], as: UTF8.self), String(decoding: bytes, as: UTF8.self))
        return (object, chunks)
    }

    func ids(_ json: [String: Any]) throws -> [String] {
        try XCTUnwrap(json["items"] as? [[String: Any]]).map { try XCTUnwrap($0["id"] as? String) }
    }

    func testEveryPackageOnceInPagesAcrossBatches() async throws {
        let repo = try Repository(root: root)
        let empty = try await collection(repo.catalog, [:])
        XCTAssertEqual(try ids(empty.json), [])
        XCTAssertEqual((empty.json["metadata"] as? [String: Any])?.count, 0)

        let total = AstraCollectionBody.batchSize * 2 + 34
        try repo.generateSyntheticPackages(count: total, batchSize: 300)
        let all = try await collection(repo.catalog, ["count": "true"])
        let expected = try repo.catalog.allSummaries().map(\.uuid)
        XCTAssertEqual(try ids(all.json), expected, "no limit: every package, by id")
        XCTAssertEqual((all.json["metadata"] as? [String: Any])?["count"] as? Int, total)
        XCTAssertNil((all.json["metadata"] as? [String: Any])?["continue"])
        XCTAssertGreaterThan(all.chunks, 1, "sent as it was read, not whole")

        var paged: [String] = []
        var token: String?
        repeat {
            let page = try await collection(repo.catalog, ["limit": "\(AstraCollectionBody.batchSize + 7)"]
                                            .merging(token.map { ["continue": $0] } ?? [:]) { $1 })
            paged += try ids(page.json)
            token = (page.json["metadata"] as? [String: Any])?["continue"] as? String
        } while token != nil
        XCTAssertEqual(paged, expected, "pages bigger than a batch, in order, are the whole collection once")

        let exact = try await collection(repo.catalog, ["limit": "\(total)"])
        XCTAssertEqual(try ids(exact.json).count, total)
        XCTAssertNil((exact.json["metadata"] as? [String: Any])?["continue"], "nothing follows the last package")
    }
}
