import Foundation
import TestSupport
import XCTest

/// SPEC §4: an RPM damaged before upload is kept as `corrupt`, the close fails with EIO, and
/// `packageStateDetails` name the digest that does not match — as `rpm -K` also finds.
final class FormatsCorruptTests: XCTestCase {
    func testRPMWithAFlippedByteIsCorruptNamingTheDigest() throws {
        let m = try MountedStore.make(self)
        let tree = m.root + "/tree"
        try PayloadFixtures.makeTree(tree, bigBytes: 50_000)
        var options = PayloadFixtures.RPMOptions()
        options.payload = "w9.gzdio"
        let good = try PayloadFixtures.rpm(options, tree: tree, in: m.root)
        func query(_ tag: String) -> String {
            m.sh("rpm -qp --queryformat '%{\(tag)}' \(Shell.quote(good))").stdout
        }
        let payloadDigest = query("PAYLOADDIGEST"), headerDigest = query("SHA256HEADER")
        XCTAssertEqual(payloadDigest.count, 64)
        XCTAssertEqual(headerDigest.count, 64)
        XCTAssertTrue(m.sh("rpm -K --nosignature \(Shell.quote(good))").ok, "the undamaged package checks out")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        let summary = try XCTUnwrap(bytes.range(of: Data("A rich pkgfs test package".utf8)), "summary in the header")

        for (label, offset, digestName, expected) in [
            ("payload", bytes.count - 200, "payload SHA-256", payloadDigest),
            ("header", summary.lowerBound + 2, "header SHA-256", headerDigest),
        ] {
            var damaged = bytes
            damaged[offset] ^= 0x01
            let name = "bad-\(label)-1.0-1.el7.x86_64.rpm"
            try damaged.write(to: URL(fileURLWithPath: m.root + "/" + name))
            XCTAssertFalse(m.sh("rpm -K --nosignature \(name)").ok, "rpm -K agrees it is damaged")

            let cp = m.sh("cp \(name) $M/incoming/")
            XCTAssertFalse(cp.ok, "\(label): cp must fail")
            XCTAssertTrue(cp.stderr.contains("Input/output error"), "\(label): \(cp.stderr)")
            // Filed by its header (the header still parses), kept as uploaded.
            let dir = "$M/GENERIC_PACKAGE/alios7/x86_64/1.0~rc1/bad-\(label)-1.0-1.el7.x86_64"
            XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "corrupt\n", "\(label)\n\(m.log)")
            XCTAssertTrue(m.sh("cmp \(name) \(dir)/\(name)").ok, "\(label): the upload is kept")
            let meta = m.sh("cat \(dir)/meta.json")
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(meta.stdout.utf8)) as? [String: Any], meta.stderr)
            XCTAssertEqual(json["packageState"] as? String, "corrupt")
            let details = try XCTUnwrap(json["packageStateDetails"] as? [[String: String]])
            let digest = details.first { $0["type"] == "digest" }
            XCTAssertNotNil(digest, "\(label): \(details)")
            let detail = digest?["detail"] ?? ""
            XCTAssertTrue(detail.contains("\(digestName) digest mismatch"), "\(label): \(detail)")
            XCTAssertTrue(detail.contains("expected \(expected)"), "\(label): names the recorded digest: \(detail)")
            XCTAssertTrue(m.log.contains("bad-\(label)-1.0-1.el7.x86_64.rpm as corrupt"), m.log)
        }
    }
}
