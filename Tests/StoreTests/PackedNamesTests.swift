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

    func testByIDNamesAreEachIDThenItsUUIDAndDigestsAreDistinctAndSorted() throws {
        let root = NSTemporaryDirectory() + "pkgfs-packed-test-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repo = try Repository(root: root)
        var uploaded: [PkgfsModel.Package] = []
        for (index, name) in ["a-1.0.bin", "b-1.0.bin", "c-1.0.bin"].enumerated() {
            let session = try repo.beginUpload(fileName: name, uploader: "tester")
            // The first two share their bytes: one digest name for two packages.
            let bytes = [UInt8](repeating: index < 2 ? 7 : 9, count: 100)
            _ = try bytes.withUnsafeBytes { try session.write(at: 0, $0) }
            uploaded.append(try repo.finishUpload(session).package)
        }
        let expected = uploaded.sorted { $0.id < $1.id }.flatMap { [String($0.id), $0.uuid] }
        XCTAssertEqual(Array(try repo.catalog.idAndUUIDNames()), expected)
        let sha1 = Array(try repo.catalog.distinctDigests(.sha1))
        XCTAssertEqual(sha1, Set(uploaded.map(\.sha1)).sorted())
        XCTAssertEqual(sha1.count, 2)
        XCTAssertEqual(Array(try repo.catalog.distinctDigests(.sha256)).count, 2)
    }
}
