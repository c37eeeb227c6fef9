import Foundation
import PkgfsFormats
@testable import PkgfsStore
import TestSupport
import XCTest

/// An RPM upload through the store: its digests are checked from what was computed as it
/// streamed in, its payload is listed from its header, and its tail goes past the page cache.
final class RPMUploadTests: TemporaryRootTestCase {
    func testAnRPMIsVerifiedAndListedFromWhatStreamedIn() throws {
        let bytes = try InlineRangeDigestsTests.built.get()
        XCTAssertGreaterThan(bytes.count, Int(UploadSession.directFrom) + (1 << 20), "the package must reach past the direct point")
        let repo = try Repository(root: root)
        let session = try repo.beginUpload(fileName: "inline-1-1.noarch.rpm", uploader: "tester")
        var wentDirect = false
        for start in stride(from: 0, to: bytes.count, by: 1 << 20) {
            let chunk = start..<min(start + (1 << 20), bytes.count)
            _ = try bytes[chunk].withUnsafeBytes { try session.write(at: Int64(start), $0) }
            wentDirect = wentDirect || session.writesDirect
        }
        XCTAssertTrue(wentDirect, "an RPM's bytes past 8 MiB go past the page cache")
        let package = try repo.finishUpload(session).package
        XCTAssertEqual(package.state, .available, "\(package.stateDetails)")
        let stored = try XCTUnwrap(FileManager.default.contents(atPath: repo.blobPath(of: package)))
        XCTAssertTrue(stored.elementsEqual(bytes), "the blob holds the bytes sent")

        let big = try XCTUnwrap(try repo.catalog.payloadEntry(packageID: package.id, path: "opt/big.bin"))
        XCTAssertEqual(big.size, 10 << 20)
        XCTAssertEqual(big.userName, "root", "listed from the header: a cpio carries owner numbers only")
        let read = try PayloadReader(path: repo.blobPath(of: package), container: .rpm).readAll(big)
        XCTAssertEqual(read.count, 10 << 20, "the listed entry reads from the payload")
    }
}
