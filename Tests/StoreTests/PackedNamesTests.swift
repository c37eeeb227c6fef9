import Foundation
import PkgfsModel
@testable import PkgfsStore
import XCTest

/// The compact name list behind the by-id/ and by-digest listings, and the catalog queries
/// that fill it straight from SQLite's text.
final class PackedNamesTests: XCTestCase {
    func testNamesComeBackAsAppendedInOrder() {
        let names = ["1", "", "0f4c7a1e-9d2b-4c55-8a0e-3b6f2d9e1c77", "naïve-πκγ-1.0.rpm", String(repeating: "a", count: 300)]
        let packed = PackedNames(names)
        XCTAssertEqual(packed.count, names.count)
        XCTAssertEqual(Array(packed), names)
        XCTAssertEqual(packed[2], names[2])
        XCTAssertTrue(PackedNames().isEmpty)
    }

    func testJoinedListsKeepTheirNamesInOrder() {
        let parts = [PackedNames(["a", "bc"]), PackedNames(), PackedNames(["", "déf"]), PackedNames(["g"])]
        var joined = PackedNames(joining: parts)
        XCTAssertEqual(Array(joined), ["a", "bc", "", "déf", "g"])
        XCTAssertEqual(joined.count, 5)
        XCTAssertEqual(joined[3], "déf")
        joined.append("h")
        XCTAssertEqual(Array(joined), ["a", "bc", "", "déf", "g", "h"])
        XCTAssertEqual(Array(PackedNames(joining: [PackedNames(), PackedNames()])), [])
        let many = (0..<50).map { PackedNames((0..<$0).map { "\($0)" }) }
        XCTAssertEqual(Array(PackedNames(joining: many)), (0..<50).flatMap { (0..<$0).map { "\($0)" } })
    }

    func testByIDNamesAreEachIDThenItsUUIDAndDigestsAreDistinctAndSorted() throws {
        let root = NSTemporaryDirectory() + "pkgfs-packed-test-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repo = try Repository(root: root)
        var uploaded: [PkgfsModel.Package] = []
        // Enough packages for their uuids and digests to fall into every slice of the listing.
        for index in 0..<40 {
            let session = try repo.beginUpload(fileName: "p\(index)-1.0.bin", uploader: "tester")
            // The first two share their bytes: one digest name for two packages.
            let bytes = [UInt8](repeating: UInt8(index < 2 ? 0 : index), count: 100)
            _ = try bytes.withUnsafeBytes { try session.write(at: 0, $0) }
            uploaded.append(try repo.finishUpload(session).package)
        }
        let expected = uploaded.sorted { $0.uuid < $1.uuid }.flatMap { [String($0.id), $0.uuid] }
        XCTAssertEqual(Array(try repo.catalog.idAndUUIDNames()), expected)
        let sha1 = Array(try repo.catalog.distinctDigests(.sha1))
        XCTAssertEqual(sha1, Set(uploaded.map(\.sha1)).sorted())
        XCTAssertEqual(sha1.count, 39)
        XCTAssertEqual(Array(try repo.catalog.distinctDigests(.sha256)), Set(uploaded.map(\.sha256)).sorted())
    }
}
