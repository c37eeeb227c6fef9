import XCTest
@testable import PkgfsModel

/// SemVer 2.0.0: strict parsing (semver.org's grammar), precedence (semver.org §11) and the
/// documented leniency of `VersionOrder.semverCompare`.
final class SemVerTests: XCTestCase {

    /// Valid strings from semver.org's regex examples.
    static let valid = [
        "0.0.4", "1.2.3", "10.20.30", "1.1.2-prerelease+meta", "1.1.2+meta", "1.1.2+meta-valid",
        "1.0.0-alpha", "1.0.0-beta", "1.0.0-alpha.beta", "1.0.0-alpha.beta.1", "1.0.0-alpha.1",
        "1.0.0-alpha0.valid", "1.0.0-alpha.0valid",
        "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay", "1.0.0-rc.1+build.1",
        "2.0.0-rc.1+build.123", "1.2.3-beta", "10.2.3-DEV-SNAPSHOT", "1.2.3-SNAPSHOT-123",
        "1.0.0", "2.0.0", "1.1.7", "2.0.0+build.1848", "2.0.1-alpha.1227", "1.0.0-alpha+beta",
        "1.2.3----RC-SNAPSHOT.12.9.1--.12+788", "1.2.3----R-S.12.9.1--.12+meta",
        "1.2.3----RC-SNAPSHOT.12.9.1--.12", "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
        "99999999999999999999999.999999999999999999.99999999999999999", "1.0.0-0A.is.legal",
    ]

    /// Invalid strings from semver.org's regex examples.
    static let invalid = [
        "1", "1.2", "1.2.3-0123", "1.2.3-0123.0123", "1.1.2+.123", "+invalid", "-invalid",
        "-invalid+invalid", "-invalid.01", "alpha", "alpha.beta", "alpha.beta.1", "alpha.1",
        "alpha+beta", "alpha_beta", "alpha.", "alpha..", "beta", "1.0.0-alpha_beta", "-alpha.",
        "1.0.0-alpha..", "1.0.0-alpha..1", "1.0.0-alpha...1", "1.0.0-alpha....1",
        "1.0.0-alpha.....1", "1.0.0-alpha......1", "1.0.0-alpha.......1", "01.1.1", "1.01.1",
        "1.1.01", "1.2.3.DEV", "1.2-SNAPSHOT", "1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788",
        "1.2-RC-SNAPSHOT", "-1.0.3-gamma+b7718", "+justmeta", "9.8.7+meta+meta",
        "9.8.7-whatever+meta+meta",
        "99999999999999999999999.999999999999999999.99999999999999999----RC-SNAPSHOT.12.09.1--------------------------------..12",
        // and a few more
        "", "v1.2.3", " 1.2.3", "1.2.3 ", "1.2.3-", "1.2.3+", "1.2.3-a+", "1..3", "1.2.3.4",
        "1.2.3-é", "１.2.3",
    ]

    func testStrictParsing() {
        for s in Self.valid {
            let v = SemVer(s)
            XCTAssertNotNil(v, "valid: \(s)")
            XCTAssertEqual(v?.description, s)
        }
        for s in Self.invalid {
            XCTAssertNil(SemVer(s), "invalid: \(s)")
        }
        let v = SemVer("1.2.3-alpha.1+build.5")
        XCTAssertEqual(v?.major, "1")
        XCTAssertEqual(v?.minor, "2")
        XCTAssertEqual(v?.patch, "3")
        XCTAssertEqual(v?.prerelease, ["alpha", "1"])
        XCTAssertEqual(v?.build, ["build", "5"])
    }

    /// semver.org §11.
    func testPrecedenceExamplesFromTheSpec() {
        let chains = [
            ["1.0.0", "2.0.0", "2.1.0", "2.1.1"],
            ["1.0.0-alpha", "1.0.0"],
            ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
             "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"],
        ]
        for chain in chains {
            let parsed = chain.map { SemVer($0)! }
            for i in parsed.indices {
                for j in parsed.indices {
                    let expected = i < j ? -1 : (i > j ? 1 : 0)
                    XCTAssertEqual(parsed[i].comparePrecedence(to: parsed[j]), expected,
                                   "\(chain[i]) vs \(chain[j])")
                    XCTAssertEqual(parsed[i] < parsed[j], i < j)
                    XCTAssertEqual(VersionOrder.semverCompare(chain[i], chain[j]), expected)
                    XCTAssertEqual(VersionOrder.compare(chain[i], chain[j], scheme: .semver),
                                   expected)
                }
            }
            XCTAssertEqual(parsed.shuffled().sorted().map(\.description), chain)
        }
    }

    func testBuildMetadataIsIgnored() {
        XCTAssertEqual(SemVer("1.0.0+a"), SemVer("1.0.0+b"))
        XCTAssertEqual(SemVer("1.0.0-rc.1+a")?.comparePrecedence(to: SemVer("1.0.0-rc.1")!), 0)
        XCTAssertEqual(VersionOrder.semverCompare("1.0.0+20130313144700", "1.0.0+exp.sha.5114f85"), 0)
        XCTAssertEqual(VersionOrder.semverCompare("1.0.0-beta+exp.sha.5114f85", "1.0.0"), -1)
        XCTAssertEqual(SemVer("1.0.0+b")?.description, "1.0.0+b")
    }

    func testNumericIdentifiersAndHugeNumbers() {
        XCTAssertEqual(VersionOrder.semverCompare("1.0.0-2", "1.0.0-10"), -1)    // numerically
        XCTAssertEqual(VersionOrder.semverCompare("1.0.0-10", "1.0.0-a"), -1)   // numeric < alnum
        XCTAssertEqual(VersionOrder.semverCompare("1.0.0-B", "1.0.0-a"), -1)    // ASCII order
        XCTAssertEqual(VersionOrder.semverCompare("1.0.0-a-", "1.0.0-a"), 1)
        XCTAssertEqual(VersionOrder.semverCompare("1.0.0-a1", "1.0.0-a"), 1)
        let huge = String(repeating: "9", count: 200)
        XCTAssertEqual(VersionOrder.semverCompare("\(huge).0.0", "1\(huge).0.0"), -1)
        XCTAssertEqual(VersionOrder.semverCompare("1.0.0-\(huge)", "1.0.0-\(huge)9"), -1)
        XCTAssertEqual(VersionOrder.semverCompare("1.\(huge).0", "1.\(huge).0"), 0)
    }

    /// The leniency documented on `VersionOrder.semverCompare` (the Astra seed uses `v1.20`).
    func testLeniency() {
        let equal = [("v1.20", "1.20.0"), ("V2", "2.0.0"), ("1", "1.0.0"), ("v1.2.3", "1.2.3"),
                     ("1.02.0", "1.2.0"), ("v1.20-rc.1", "1.20.0-rc.1"), ("v1.20+b", "1.20.0")]
        for (a, b) in equal {
            XCTAssertEqual(VersionOrder.semverCompare(a, b), 0, "\(a) == \(b)")
        }
        let ordered = [("v1.20", "v1.20.1"), ("v1.9", "v1.20"), ("v1.20-rc.1", "v1.20"),
                       ("1.2", "v1.10"), ("latest", "0.0.0"), ("", "0"),
                       ("1.2.3.4", "1.2.3.10")]           // both invalid: rpmvercmp fallback
        for (a, b) in ordered {
            XCTAssertEqual(VersionOrder.semverCompare(a, b), -1, "\(a) < \(b)")
            XCTAssertEqual(VersionOrder.semverCompare(b, a), 1, "\(b) > \(a)")
        }
        // Leniency is only in the comparison: the struct stays strict.
        XCTAssertNil(SemVer("v1.20"))
        XCTAssertNil(SemVer("1.02.0"))
        // Pre-release and build stay strict even when lenient.
        XCTAssertEqual(VersionOrder.semverCompare("v1.2-01", "0.0.1"), -1)   // invalid < valid
    }

    func testVersionSchemeIsCodable() throws {
        XCTAssertEqual(VersionScheme.allCases, [.rpm, .dpkg, .semver])
        let data = try JSONEncoder().encode([VersionScheme.dpkg])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), "[\"dpkg\"]")
        XCTAssertEqual(try JSONDecoder().decode([VersionScheme].self, from: data), [.dpkg])
    }

    func testOneSchemeForVersionsOfSeveralFormats() {
        XCTAssertEqual(VersionScheme.shared(by: [.rpm, .archive, .file]), .rpm)
        XCTAssertEqual(VersionScheme.shared(by: [.archive, .deb]), .dpkg)
        XCTAssertEqual(VersionScheme.shared(by: [.bundle, .bundle]), .semver)
        XCTAssertEqual(VersionScheme.shared(by: [.bundle, .file]), .rpm)
        XCTAssertEqual(VersionScheme.shared(by: [.bundle, .deb, .rpm]), .dpkg)
        XCTAssertEqual(VersionScheme.shared(by: []), .rpm)
    }
}
