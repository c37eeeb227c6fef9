import XCTest
@testable import PkgfsModel

/// dpkg ordering: the cases of dpkg's lib/dpkg/t/t-version.c plus hand cases for each rule.
/// Every expectation here was also checked against dpkg 1.21 (`dpkg --compare-versions`).
final class DpkgVersionCompareTests: XCTestCase {

    private func assertOrder(_ a: String, _ b: String, _ expected: Int,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(VersionOrder.dpkgCompare(a, b), expected, "dpkgCompare(\(a), \(b))",
                       file: file, line: line)
        XCTAssertEqual(VersionOrder.dpkgCompare(b, a), -expected, "dpkgCompare(\(b), \(a))",
                       file: file, line: line)
        XCTAssertEqual(VersionOrder.compare(a, b, scheme: .dpkg), expected, file: file, line: line)
    }

    private func parse(_ s: String) -> VersionOrder.DpkgVersion {
        VersionOrder.DpkgVersion(parsing: Array(s.utf8))
    }

    private func assertParts(_ s: String, _ epoch: Int, _ upstream: String, _ revision: String,
                             _ syntax: VersionOrder.DpkgSyntax = .valid,
                             file: StaticString = #filePath, line: UInt = #line) {
        let v = parse(s)
        XCTAssertEqual(v.epoch, epoch, "epoch of \(s)", file: file, line: line)
        XCTAssertEqual(String(decoding: v.upstream, as: UTF8.self), upstream, "upstream of \(s)",
                       file: file, line: line)
        XCTAssertEqual(String(decoding: v.revision, as: UTF8.self), revision, "revision of \(s)",
                       file: file, line: line)
        XCTAssertEqual(v.syntax, syntax, "syntax of \(s)", file: file, line: line)
    }

    // MARK: t-version.c: test_version_compare / test_version_relate

    func testTVersionCompare() {
        assertOrder("", "", 0)                            // two blank versions
        assertOrder("1:0", "2:0", -1)                     // epoch 1 vs 2
        assertOrder("0:1-1", "0:2-1", -1)
        assertOrder("0:1-1", "0:1-2", -1)
        assertOrder("0:0-0", "0:0-0", 0)                  // equality
        assertOrder("0:0-00", "0:00-0", 0)
        assertOrder("1:2-3", "1:2-3", 0)
        assertOrder("0:0-0", "1:0-0", -1)                 // epoch difference
        assertOrder("0:a-0", "0:b-0", -1)                 // version component difference
        assertOrder("0:0-a", "0:0-b", -1)                 // revision component difference
        assertOrder("0:1-1", "0:1-1", 0)                  // relate: EQ, LE, GE
        assertOrder("0:2-1", "0:1-1", 1)                  // relate: GT
    }

    // MARK: t-version.c: test_version_parse

    func testTVersionParse() {
        assertParts("0", 0, "0", "")
        assertParts("0:0", 0, "0", "")
        assertParts("0:0-0", 0, "0", "0")
        assertParts("0:0.0-0.0", 0, "0.0", "0.0")
        assertParts("1:0", 1, "0", "")
        assertParts("5:1", 5, "1", "")
        assertParts("0:0-0-0", 0, "0-0", "0")              // multiple hyphens
        assertParts("0:0-0-0-0", 0, "0-0-0", "0")
        assertParts("0:0:0-0", 0, "0:0", "0")              // multiple colons
        assertParts("0:0:0:0-0", 0, "0:0:0", "0")
        assertParts("0:0:0-0-0", 0, "0:0-0", "0")          // hyphens and colons
        assertParts("0:0-0:0-0", 0, "0-0:0", "0")
        assertParts("0:09azAZ.-+~:-0", 0, "09azAZ.-+~:", "0")  // valid upstream characters
        assertParts("0:0-azAZ09.+~", 0, "0", "azAZ09.+~")   // valid revision characters
        assertParts("  \t0:0-1", 0, "0", "1")               // leading/trailing blanks
        assertParts("0:0-1\t  ", 0, "0", "1")
        assertParts("\t  0:0-1  \t", 0, "0", "1")
        assertOrder("0", "0:0", 0)
        assertOrder("0:0.0-0.0", "0.0-0.0", 0)

        // Refused by dpkg (--compare-versions exits 2).
        for bad in ["  ", "0:", "0:0 0-1", "-1:0-1", " -1:0-1", "999999999999999999999999:0-1",
                    "2147483648:0", "a:0-0", "A:0-0", "-0", "0:-0", "0:0-", "1.0-", ":1"] {
            XCTAssertEqual(parse(bad).syntax, .error, "dpkg refuses \(bad)")
        }
        // Accepted with a warning (and compared).
        XCTAssertEqual(parse("0:abc3-0").syntax, .warning)
        XCTAssertEqual(parse("0:0-0:0").syntax, .warning)
        for c in "!#@$%&/|\\<>()[]{};,_=*^'" {
            XCTAssertEqual(parse("0:0\(c)-0").syntax, .warning, "upstream with \(c)")
        }
        for c in "!#@$%&/|\\<>()[]{}:;,_=*^'" {
            XCTAssertEqual(parse("0:0-0\(c)").syntax, .warning, "revision with \(c)")
        }
        // Blank: "" and "<unknown>" are "no version", not parsed.
        XCTAssertEqual(parse("").syntax, .blank)
        XCTAssertEqual(parse("<unknown>").syntax, .blank)
    }

    func testEpochEdgeCasesLikeStrtol() {
        assertParts(" -0:1", 0, "1", "")                    // "-0" is not negative
        assertParts("+3:1", 3, "1", "")
        assertParts("\u{0B}1:0", 1, "0", "")                // strtol skips \v
        assertParts("00:1", 0, "1", "")
        assertParts("2147483647:1", 2_147_483_647, "1", "")
        assertOrder("2147483647:0", "0", 1)
    }

    // MARK: rules by hand

    func testTildeSortsBeforeEverythingEvenTheEnd() {
        assertOrder("1.0~rc1", "1.0", -1)
        assertOrder("1.0~~", "1.0~", -1)
        assertOrder("1.0~~a", "1.0~", -1)
        assertOrder("1.0~", "1.0", -1)
        assertOrder("1.0~rc1", "1.0~rc2", -1)
        assertOrder("1.0", "1.0+", -1)
        assertOrder("2.2~rc-4", "2.2-1", -1)
        assertOrder("1.0-1~bpo1", "1.0-1", -1)
    }

    func testLettersSortBeforeNonLetters() {
        assertOrder("1.0a", "1.0+", -1)
        assertOrder("1.0z", "1.0.", -1)
        assertOrder("1.0Z", "1.0a", -1)                    // ASCII order among letters
        assertOrder("1.0", "1.0a", -1)                      // the end before letters
        assertOrder("1.0+", "1.0.", -1)                     // '+' (43) before '.' (46)
        assertOrder("1a", "1.", -1)
        assertOrder("1é", "1.", -1)                         // non-ASCII: signed char + 256
        assertOrder("1é", "1", 1)
    }

    func testDigitsCompareNumerically() {
        assertOrder("1.10", "1.9", 1)
        assertOrder("1.0000-1", "1.0-1", 0)
        assertOrder("1.001", "1.1", 0)
        assertOrder("1.1-20080727-1", "1.1-20080316-1", 1)
        let big = String(repeating: "9", count: 300)
        assertOrder("1." + big, "1.1" + String(repeating: "0", count: 300), -1)
        assertOrder("1." + big, "1.000" + big, 0)
    }

    func testEpochs() {
        assertOrder("1:0.1", "0:9.9", 1)
        assertOrder("1:0.1", "9.9", 1)
        assertOrder("0:9.9", "9.9", 0)
        assertOrder("2:1.0", "10:0.1", -1)
    }

    func testRevisionSplitsAtTheLastHyphen() {
        assertParts("1.0-1-2", 0, "1.0-1", "2")
        assertOrder("1.0-1-2", "1.0-1-10", -1)
        assertOrder("1.0-1-2", "1.0-2", 1)                  // upstream "1.0-1" > "1.0"
        assertOrder("1.0", "1.0-0", 0)                      // no revision == revision "0"
    }

    func testBlankVersionIsOlderThanAnyVersion() {
        assertOrder("", "0", -1)
        assertOrder("", "0~", -1)
        assertOrder("<unknown>", "0", -1)
        assertOrder("<unknown>", "", 0)
    }

    func testRefusedStringsStillGetAConsistentOrder() {
        // Not dpkg orders (dpkg exits 2), but deterministic and antisymmetric.
        let refused = ["  ", "0:", "1.0-", "a:1", "1 0", "-1", ":1", "99999999999:1"]
        for a in refused {
            for b in refused + ["0", "1.0", ""] {
                XCTAssertEqual(VersionOrder.dpkgCompare(a, b), -VersionOrder.dpkgCompare(b, a))
            }
        }
        XCTAssertEqual(VersionOrder.dpkgCompare("  ", ""), 0)   // blank-only: no version
        XCTAssertEqual(VersionOrder.dpkgCompare("a:1", "0:a:1"), 0)
    }
}
