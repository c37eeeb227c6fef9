import Foundation
import XCTest
@testable import PkgfsFormats

/// A large image is hashed while streaming: 1 MiB at a time through one cursor.
final class BundleStreamingTests: XCTestCase {
    func testLargeImageIsHashedInChunksWithoutRestarting() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("large")
        let size = 50 << 20
        let image = try fx.writeRandom(size: size, to: "images/big.tar", in: dir)
        let expected = try fx.sha256sum(image)
        try fx.writeManifest(BundleFixture.manifest(extra: [
            "images": [BundleFixture.image("big", tag: "1.0.0", path: "/images", digest: expected)],
        ]), in: dir)
        let path = try fx.pack(dir, flags: "cf", name: "large.tar")
        try FileManager.default.removeItem(atPath: image)

        let start = Date()
        let v = BundleVerifier.verify(path: path)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(v.problems, [])
        XCTAssertEqual(v.state, .available)
        XCTAssertEqual(v.members.first?.sha256, expected)
        XCTAssertLessThan(elapsed, 10, "verifying a 50 MiB bundle took \(elapsed) s")

        // The digest walk itself: chunks of at most 1 MiB, one archive open, no restart.
        let entries = try listPayload(path: path, container: .tar)
        let entry = try XCTUnwrap(entries.first { $0.path == "images/big.tar" })
        let reader = try PayloadReader(path: path, container: .tar)
        var chunks: [Int] = []
        let digest = try BundleDigest.sha256(of: entry, reader: reader) { chunks.append($0) }
        XCTAssertEqual(digest, expected)
        XCTAssertEqual(chunks.count, 50)
        XCTAssertEqual(chunks.max(), 1 << 20)
        XCTAssertEqual(chunks.reduce(0, +), size)
        XCTAssertEqual(reader.statistics.opens, 1)
        XCTAssertEqual(reader.statistics.discarded, 0)
    }

    func testCompressedImageStreamsToo() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("gz")
        let image = try fx.writeRandom(size: 3 << 20, to: "images/app.tar", in: dir)
        try fx.writeManifest(BundleFixture.manifest(extra: [
            "images": [BundleFixture.image("app", tag: "2", path: "images", digest: try fx.sha256sum(image))],
        ]), in: dir)
        let v = BundleVerifier.verify(path: try fx.pack(dir, flags: "czf", name: "gz.tgz"))
        XCTAssertEqual(v.problems, [])
        XCTAssertEqual(v.state, .available)
    }
}
