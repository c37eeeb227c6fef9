import XCTest
@testable import PkgfsModel

/// rpm ordering: rpm's own test vectors (tests/rpmvercmp.at) and hand cases for the EVR layer.
/// Every expectation here was also checked against rpm 4.18 (`rpm.vercmp`).
final class RPMVersionCompareTests: XCTestCase {

    /// Every RPMVERCMP(a, b, expected) line of rpm's tests/rpmvercmp.at.
    static let rpmvercmpAt: [(String, String, Int)] = [
        ("1.0", "1.0", 0), ("1.0", "2.0", -1), ("2.0", "1.0", 1),
        ("2.0.1", "2.0.1", 0), ("2.0", "2.0.1", -1), ("2.0.1", "2.0", 1),
        ("2.0.1a", "2.0.1a", 0), ("2.0.1a", "2.0.1", 1), ("2.0.1", "2.0.1a", -1),
        ("5.5p1", "5.5p1", 0), ("5.5p1", "5.5p2", -1), ("5.5p2", "5.5p1", 1),
        ("5.5p10", "5.5p10", 0), ("5.5p1", "5.5p10", -1), ("5.5p10", "5.5p1", 1),
        ("10xyz", "10.1xyz", -1), ("10.1xyz", "10xyz", 1),
        ("xyz10", "xyz10", 0), ("xyz10", "xyz10.1", -1), ("xyz10.1", "xyz10", 1),
        ("xyz.4", "xyz.4", 0), ("xyz.4", "8", -1), ("8", "xyz.4", 1),
        ("xyz.4", "2", -1), ("2", "xyz.4", 1),
        ("5.5p2", "5.6p1", -1), ("5.6p1", "5.5p2", 1),
        ("5.6p1", "6.5p1", -1), ("6.5p1", "5.6p1", 1),
        ("6.0.rc1", "6.0", 1), ("6.0", "6.0.rc1", -1),
        ("10b2", "10a1", 1), ("10a2", "10b2", -1),
        ("1.0aa", "1.0aa", 0), ("1.0a", "1.0aa", -1), ("1.0aa", "1.0a", 1),
        ("10.0001", "10.0001", 0), ("10.0001", "10.1", 0), ("10.1", "10.0001", 0),
        ("10.0001", "10.0039", -1), ("10.0039", "10.0001", 1),
        ("4.999.9", "5.0", -1), ("5.0", "4.999.9", 1),
        ("20101121", "20101121", 0), ("20101121", "20101122", -1), ("20101122", "20101121", 1),
        ("2_0", "2_0", 0), ("2.0", "2_0", 0), ("2_0", "2.0", 0),
        // RhBug:178798 case
        ("a", "a", 0), ("a+", "a+", 0), ("a+", "a_", 0), ("a_", "a+", 0),
        ("+a", "+a", 0), ("+a", "_a", 0), ("_a", "+a", 0),
        ("+_", "+_", 0), ("_+", "+_", 0), ("_+", "_+", 0), ("+", "_", 0), ("_", "+", 0),
        // Basic testcases for tilde sorting
        ("1.0~rc1", "1.0~rc1", 0), ("1.0~rc1", "1.0", -1), ("1.0", "1.0~rc1", 1),
        ("1.0~rc1", "1.0~rc2", -1), ("1.0~rc2", "1.0~rc1", 1),
        ("1.0~rc1~git123", "1.0~rc1~git123", 0), ("1.0~rc1~git123", "1.0~rc1", -1),
        ("1.0~rc1", "1.0~rc1~git123", 1),
        // Basic testcases for caret sorting
        ("1.0^", "1.0^", 0), ("1.0^", "1.0", 1), ("1.0", "1.0^", -1),
        ("1.0^git1", "1.0^git1", 0), ("1.0^git1", "1.0", 1), ("1.0", "1.0^git1", -1),
        ("1.0^git1", "1.0^git2", -1), ("1.0^git2", "1.0^git1", 1),
        ("1.0^git1", "1.01", -1), ("1.01", "1.0^git1", 1),
        ("1.0^20160101", "1.0^20160101", 0), ("1.0^20160101", "1.0.1", -1),
        ("1.0.1", "1.0^20160101", 1),
        ("1.0^20160101^git1", "1.0^20160101^git1", 0),
        ("1.0^20160102", "1.0^20160101^git1", 1), ("1.0^20160101^git1", "1.0^20160102", -1),
        // Basic testcases for tilde and caret sorting
        ("1.0~rc1^git1", "1.0~rc1^git1", 0), ("1.0~rc1^git1", "1.0~rc1", 1),
        ("1.0~rc1", "1.0~rc1^git1", -1),
        ("1.0^git1~pre", "1.0^git1~pre", 0), ("1.0^git1", "1.0^git1~pre", 1),
        ("1.0^git1~pre", "1.0^git1", -1),
    ]

    /// The "oddities" rpmvercmp.at documents (commented out there), as rpm 4.18 answers them.
    static let rpmvercmpOddities: [(String, String, Int)] = [
        // RhBug:811992 case
        ("1b.fc17", "1b.fc17", 0), ("1b.fc17", "1.fc17", -1), ("1.fc17", "1b.fc17", 1),
        ("1g.fc17", "1g.fc17", 0), ("1g.fc17", "1.fc17", 1), ("1.fc17", "1g.fc17", -1),
        // Non-ASCII characters are separators, so these are all the same.
        ("1.1.α", "1.1.α", 0), ("1.1.α", "1.1.β", 0), ("1.1.β", "1.1.α", 0),
        ("1.1.αα", "1.1.α", 0), ("1.1.α", "1.1.ββ", 0), ("1.1.ββ", "1.1.αα", 0),
    ]

    func testRpmvercmpUpstreamVectors() {
        XCTAssertEqual(Self.rpmvercmpAt.count, 91)
        for (a, b, expected) in Self.rpmvercmpAt {
            XCTAssertEqual(VersionOrder.rpmvercmp(a, b), expected, "rpmvercmp(\(a), \(b))")
            XCTAssertEqual(VersionOrder.rpmvercmp(b, a), -expected, "rpmvercmp(\(b), \(a))")
            // Plain versions (no ':' or '-') mean the same to the EVR compare.
            XCTAssertEqual(VersionOrder.rpmCompare(a, b), expected, "rpmCompare(\(a), \(b))")
            XCTAssertEqual(VersionOrder.compare(a, b, scheme: .rpm), expected)
        }
    }

    func testRpmvercmpDocumentedOddities() {
        for (a, b, expected) in Self.rpmvercmpOddities {
            XCTAssertEqual(VersionOrder.rpmvercmp(a, b), expected, "rpmvercmp(\(a), \(b))")
        }
    }

    func testRpmvercmpHandCases() {
        let cases: [(String, String, Int)] = [
            ("", "", 0), ("", "0", -1), ("0", "", 1), ("", "~", 1), ("~", "", -1),
            ("", "^", -1), ("^", "", 1), ("", ".", 0), (".", "_", 0),
            ("1.0", "1.0.0", -1),                                // a segment left over wins
            ("1.0", "1.0.", 0), ("1.0.", "1.0_", 0),             // trailing separators do not
            ("1.0~", "1.0", -1), ("1.0^", "1.0.0", -1),          // ~ < end < ^ < anything
            ("1.0^", "1.0a", -1), ("1.0^", "1.0~", 1),
            ("1.0^", "1.0.", 1),                                 // "1.0." ends like "1.0"
            ("1", "a", 1), ("a", "1", -1),                       // numeric beats alpha
            ("1a", "1.a", 0),
            ("A", "a", -1), ("Z", "a", -1),                      // letters compare as bytes
            ("007", "7", 0), ("0", "00000", 0), ("1.01", "1.1", 0),
            ("1.é", "1.x", -1),                                 // é is a separator: end < x
        ]
        for (a, b, expected) in cases {
            XCTAssertEqual(VersionOrder.rpmvercmp(a, b), expected, "rpmvercmp(\(a), \(b))")
            XCTAssertEqual(VersionOrder.rpmvercmp(b, a), -expected, "rpmvercmp(\(b), \(a))")
        }
    }

    func testHugeDigitRunsAreComparedWithoutOverflow() {
        let big = String(repeating: "9", count: 400)
        let bigger = "1" + String(repeating: "0", count: 400)
        XCTAssertEqual(VersionOrder.rpmvercmp(big, bigger), -1)
        XCTAssertEqual(VersionOrder.rpmvercmp("000" + bigger, bigger), 0)
        XCTAssertEqual(VersionOrder.rpmvercmp("1." + big + "1", "1." + big + "2"), -1)
        XCTAssertEqual(VersionOrder.rpmCompare(big + ":1", "1:" + big), 1)
        XCTAssertEqual(VersionOrder.rpmCompare("99999999999999999999999:1", "1"), 1)
    }

    func testNULCutsTheStringLikeC() {
        XCTAssertEqual(VersionOrder.rpmvercmp("1.0\u{0}zzz", "1.0"), 0)
        XCTAssertEqual(VersionOrder.rpmCompare("\u{0}1", ""), 0)
    }

    func testEVRParsingLikeRpm() {
        let cases: [(String, String, Int)] = [
            ("1:1.0", "2.0", 1),           // epoch wins
            ("0:1.0", "1.0", 0),           // missing epoch is 0
            (":1", "1", 0),                // empty epoch is "0"
            ("00:1", "1", 0),              // epochs compare like versions
            ("a:1", "1", -1),              // not an epoch: version "a:1" (alpha < digit)
            ("1.0", "1.0-5", -1),          // missing release is older than any release
            ("1.0-", "1.0", 1),            // an empty release is still a release
            ("1.0-", "1.0-0", -1),
            ("1.0-1", "1.0-1", 0),
            ("1.0-1-2", "1.0-1-10", -1),   // release after the LAST '-'
            ("1.0-1-2", "1.0-2", 1),       // version "1.0-1" vs "1.0": segment left over
        ]
        for (a, b, expected) in cases {
            XCTAssertEqual(VersionOrder.rpmCompare(a, b), expected, "rpmCompare(\(a), \(b))")
            XCTAssertEqual(VersionOrder.rpmCompare(b, a), -expected, "rpmCompare(\(b), \(a))")
        }
        XCTAssertEqual(VersionOrder.rpmCompare("", ""), 0)
        XCTAssertEqual(VersionOrder.rpmCompare("", "0"), -1)
        XCTAssertEqual(VersionOrder.rpmCompare("0", ""), 1)

        let evr = VersionOrder.RPMEVR(Array("12:1.0-1-fc40".utf8))
        XCTAssertEqual(evr.epoch, Array("12".utf8))
        XCTAssertEqual(evr.version, Array("1.0-1".utf8))
        XCTAssertEqual(evr.release, Array("fc40".utf8))
        let noEpoch = VersionOrder.RPMEVR(Array("1.0".utf8))
        XCTAssertNil(noEpoch.epoch)
        XCTAssertNil(noEpoch.release)
    }

    func testCompareEVRComponents() {
        func cmp(_ e1: Int?, _ v1: String, _ r1: String?,
                 _ e2: Int?, _ v2: String, _ r2: String?) -> Int {
            VersionOrder.rpmCompareEVR(epoch: e1, version: v1, release: r1,
                                       toEpoch: e2, toVersion: v2, toRelease: r2)
        }
        XCTAssertEqual(cmp(nil, "1.0", "1", 0, "1.0", "1"), 0)
        XCTAssertEqual(cmp(1, "1.0", "1", nil, "9.0", "9"), 1)
        XCTAssertEqual(cmp(nil, "1.0", "1", 1, "0.1", "1"), -1)
        XCTAssertEqual(cmp(0, "1.0~rc1", "1", 0, "1.0", "1"), -1)
        XCTAssertEqual(cmp(0, "1.0", "1.fc39", 0, "1.0", "1.fc40"), -1)
        XCTAssertEqual(cmp(0, "1.0", nil, 0, "1.0", nil), 0)
        XCTAssertEqual(cmp(0, "1.0", nil, 0, "1.0", "1"), -1)
        XCTAssertEqual(cmp(0, "1.0", "1", 0, "1.0", nil), 1)
        XCTAssertEqual(cmp(-1, "1.0", nil, nil, "1.0", nil), -1)
        // Agrees with the string form.
        XCTAssertEqual(cmp(2, "1.0", "3", nil, "1.0", "3"), VersionOrder.rpmCompare("2:1.0-3", "1.0-3"))
    }
}
