import Foundation
import XCTest
@testable import PkgfsFormats

/// Unit tests of the pieces of the deb reader: the ar parser (on hand-made and hostile
/// inputs), the control-file parser and the version split.
final class DebFormatTests: XCTestCase {
    private func arHeader(_ name: String, size: Int, sizeField: String? = nil) -> [UInt8] {
        func pad(_ s: String, _ n: Int) -> [UInt8] {
            Array(s.utf8.prefix(n)) + [UInt8](repeating: 0x20, count: max(0, n - s.utf8.count))
        }
        return pad(name, 16) + pad("1700000000", 12) + pad("0", 6) + pad("0", 6) + pad("100644", 8)
            + pad(sizeField ?? String(size), 10) + Array("`\n".utf8)
    }

    private func ar(_ members: [(String, [UInt8])]) -> [UInt8] {
        var out = ArArchive.magic
        for (name, data) in members {
            out += arHeader(name, size: data.count) + data
            if data.count % 2 == 1 { out.append(0x0A) }
        }
        return out
    }

    func testArMembersOffsetsAndPadding() throws {
        let bytes = ar([("debian-binary", Array("2.0\n".utf8)), ("odd/", [1, 2, 3]), ("even", [4, 5])])
        let m = try ArArchive.members(of: MemoryBytes(bytes))
        XCTAssertEqual(m.map(\.name), ["debian-binary", "odd", "even"])
        XCTAssertEqual(m.map(\.size), [4, 3, 2])
        XCTAssertEqual(try MemoryBytes(bytes).read(at: m[1].offset, length: 3), [1, 2, 3])
        XCTAssertEqual(try MemoryBytes(bytes).read(at: m[2].offset, length: 2), [4, 5])
        XCTAssertEqual(m[0].mode, 0o100644)
        XCTAssertEqual(m[0].mtime, 1_700_000_000)
        // A last odd member without its padding byte is accepted.
        let oddLast = ar([("debian-binary", Array("2.0\n".utf8)), ("x", [1, 2, 3])])
        XCTAssertEqual(oddLast.last, 0x0A)
        XCTAssertEqual(try ArArchive.members(of: MemoryBytes(Array(oddLast.dropLast()))).map(\.size), [4, 3])
    }

    func testArLongNames() throws {
        // GNU: "//" table then "/0"; BSD: "#1/11" with the name ahead of the data.
        let table = Array("a-very-long-member-name.txt/\n".utf8)
        var bytes = ar([("//", table), ("/0", [9, 9]), ("/999", [1]), ("/", [])])
        bytes += arHeader("#1/11", size: 11 + 2) + Array("bsd-name.tx".utf8) + [7, 7] + [0x0A]
        let m = try ArArchive.members(of: MemoryBytes(bytes))
        XCTAssertEqual(m.map(\.name), ["//", "a-very-long-member-name.txt", "/999", "/", "bsd-name.tx"])
        XCTAssertEqual(m[4].size, 2)
        XCTAssertEqual(try MemoryBytes(bytes).read(at: m[4].offset, length: 2), [7, 7])
    }

    func testArHostile() throws {
        assertFormatError(try ArArchive.members(of: MemoryBytes(Array("!<arc".utf8)))) { e in
            guard case .truncated = e else { return XCTFail("\(e)") }
        }
        assertFormatError(try ArArchive.members(of: MemoryBytes(Array("!<arch>?".utf8)))) { e in
            guard case .badMagic = e else { return XCTFail("\(e)") }
        }
        // Size larger than the file.
        let big = ArArchive.magic + arHeader("x", size: 0, sizeField: "999999") + [1, 2]
        assertFormatError(try ArArchive.members(of: MemoryBytes(big))) { e in
            guard case .truncated(let needed, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(needed, 8 + 60 + 999_999)
        }
        // Non-decimal, negative and huge sizes.
        for field in ["-5", "12abc", "0x10", "9999999999"] {
            let b = ArArchive.magic + arHeader("x", size: 0, sizeField: field) + [UInt8](repeating: 0, count: 16)
            assertFormatError(try ArArchive.members(of: MemoryBytes(b)), field)
        }
        // Bad header terminator; header cut short.
        var bad = ArArchive.magic + arHeader("x", size: 0)
        bad[bad.count - 2] = 0x41
        assertFormatError(try ArArchive.members(of: MemoryBytes(bad)))
        assertFormatError(try ArArchive.members(of: MemoryBytes(Array((ArArchive.magic + arHeader("x", size: 0)).prefix(40)))))
        // BSD name longer than the member; "/N" without a table: kept literally, no crash.
        let bsd = ArArchive.magic + arHeader("#1/50", size: 4) + [1, 2, 3, 4]
        XCTAssertEqual(try ArArchive.members(of: MemoryBytes(bsd)).map(\.name), ["#1/50"])
        // Random garbage after the magic never crashes.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let junk = ArArchive.magic + (0..<Int.random(in: 0..<200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? ArArchive.members(of: MemoryBytes(junk))
        }
    }

    func testDebLayoutChecks() throws {
        let ok = ar([("debian-binary", Array("2.0\n".utf8)), ("control.tar.gz", [1]), ("data.tar.xz", [2])])
        let layout = try DebLayout(reader: MemoryBytes(ok))
        XCTAssertEqual(layout.controlCompression, .gzip)
        XCTAssertEqual(layout.dataCompression, .xz)
        let v3 = ar([("debian-binary", Array("3.0\n".utf8)), ("control.tar.gz", [1]), ("data.tar.xz", [2])])
        assertFormatError(try DebLayout(reader: MemoryBytes(v3))) { e in
            XCTAssertTrue(e.description.contains("2.x"), e.description)
        }
        let noData = ar([("debian-binary", Array("2.0\n".utf8)), ("control.tar.gz", [1])])
        assertFormatError(try DebLayout(reader: MemoryBytes(noData))) { e in
            XCTAssertTrue(e.description.contains("data.tar"), e.description)
        }
        let odd = ar([("debian-binary", Array("2.0\n".utf8)), ("control.tar.gz", [1]), ("data.tar.lz4", [2])])
        assertFormatError(try DebLayout(reader: MemoryBytes(odd))) { e in
            XCTAssertTrue(e.description.contains("data.tar.lz4"), e.description)
        }
        let underscore = ar([("debian-binary", Array("2.1\n".utf8)), ("_gpgorigin", [0]),
                             ("control.tar", [1]), ("data.tar.zst", [2]), ("trailing", [3])])
        let l2 = try DebLayout(reader: MemoryBytes(underscore))
        XCTAssertEqual(l2.formatVersion, "2.1")
        XCTAssertEqual(l2.controlCompression, DebCompression.none)
        XCTAssertEqual(l2.dataCompression, .zstd)
        // Corrupt control.tar: a precise error from libarchive.
        assertFormatError(try DebPackage.parse(MemoryBytes(ok))) { e in
            guard case .invalid(let format, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(format, "deb control.tar")
        }
    }

    func testControlParagraph() throws {
        let p = try ControlParagraph.parse("""
            # a comment
            Package: foo
            description: short
             long line\u{20}
             .
            \tindented by tab
            Depends:
             a,
             b

            """)
        XCTAssertEqual(p.fields.map(\.name), ["Package", "description", "Depends"])
        XCTAssertEqual(p.field("DESCRIPTION"), "short\n long line\n .\n\tindented by tab")
        XCTAssertEqual(p.field("depends"), "\n a,\n b")
        XCTAssertNil(p.field("Version"))

        assertFormatError(try ControlParagraph.parse("Package: a\npackage: b\n")) { e in
            XCTAssertTrue(e.description.contains("twice"), e.description)
        }
        assertFormatError(try ControlParagraph.parse("Package: a\n\nPackage: b\n")) { e in
            XCTAssertTrue(e.description.contains("paragraph"), e.description)
        }
        assertFormatError(try ControlParagraph.parse(" continued\n"))
        assertFormatError(try ControlParagraph.parse("no colon here\n"))
        assertFormatError(try ControlParagraph.parse("\n\n"))
    }

    func testVersionSplit() throws {
        let cases: [(String, Int?, String, String?)] = [
            ("1.0", nil, "1.0", nil),
            ("1:2.3-4", 1, "2.3", "4"),
            ("2:1.4~rc1-0ubuntu1", 2, "1.4~rc1", "0ubuntu1"),
            ("1.2-3-4", nil, "1.2-3", "4"),          // revision after the LAST '-'
            ("3:1:2-x", 3, "1:2", "x"),              // epoch before the FIRST ':'
            ("0:0", 0, "0", nil),
            ("1.0+dfsg~beta", nil, "1.0+dfsg~beta", nil),
        ]
        for (text, epoch, upstream, revision) in cases {
            let v = try DebVersion(parsing: text)
            XCTAssertEqual(v.epoch, epoch, text)
            XCTAssertEqual(v.upstream, upstream, text)
            XCTAssertEqual(v.revision, revision, text)
            XCTAssertEqual(v.description, text)
        }
        for bad in ["", "a:1.0", ":1.0", "1:", "1.0-", "1.0 2", "-1", "2147483648:1.0", "-1:1.0", "+:1.0", "1+:1.0",
                    "99999999999999999999:1.0"] {
            assertFormatError(try DebVersion(parsing: bad), bad)
        }
    }

    /// Epochs as `dpkg --compare-versions` and `dpkg-deb --build` take them (strtol): a sign,
    /// leading zeros, anything up to INT_MAX.
    func testEpochsDpkgAccepts() throws {
        for (text, epoch) in [("2147483647:1.0", 2147483647), ("0000000001:1.0", 1), ("+1:1.0", 1), ("-0:1.0", 0),
                              ("00000000000000000007:1.0", 7)] {
            XCTAssertEqual(try DebVersion(parsing: text).epoch, epoch, text)
        }
    }
}
