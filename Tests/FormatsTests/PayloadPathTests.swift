import XCTest
@testable import PkgfsFormats

/// Archive member names → the paths the mount shows; the clean ones take a shortcut.
final class PayloadPathTests: XCTestCase {
    private func normalize(_ raw: String) throws -> String? {
        try PayloadPath.normalize(raw, format: "test", index: 0)
    }

    func testCleanAndUncleanPathsNormalizeAlike() throws {
        let cases: [(String, String?)] = [
            ("./usr/bin/ls", "usr/bin/ls"), ("usr/bin/ls", "usr/bin/ls"), ("a", "a"), ("./a", "a"),
            ("...", "..."), ("a/.../b", "a/.../b"), ("a..", "a.."), (".hidden/x", ".hidden/x"), ("a/.b", "a/.b"),
            ("./a/", "a"), ("a//b", "a/b"), ("./a/./b", "a/b"), ("a/.", "a"), ("./.", nil), ("./", nil),
            (".", nil), ("./a//./b/", "a/b"), (".//etc", "etc"), ("é/漢/🚀", "é/漢/🚀"),
        ]
        for (raw, expected) in cases {
            XCTAssertEqual(try normalize(raw), expected, raw)
        }
    }

    func testEscapesAndAbsolutePathsAreRefused() {
        for raw in ["..", "../x", "./../x", "a/../b", "a/..", "/etc/passwd", ""] {
            XCTAssertThrowsError(try normalize(raw), raw)
        }
    }
}
