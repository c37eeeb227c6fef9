import PkgfsModel
import XCTest

final class PackageStateTests: XCTestCase {
    func testAstraTransitionTable() {
        let allowed: [PackageState: Set<PackageState>] = [
            .verifying: [.corrupt, .incomplete, .available],
            .corrupt: [.incomplete, .available],
            .incomplete: [.corrupt, .available],
            .available: [.corrupt, .available],
        ]
        for from in PackageState.allCases {
            for to in PackageState.allCases {
                XCTAssertEqual(from.canTransition(to: to), allowed[from]!.contains(to), "\(from) → \(to)")
            }
        }
        XCTAssertEqual(PackageState.transitionTable.map(\.from), ["verifying", "corrupt", "incomplete", "available"])
        XCTAssertEqual(PackageState.transitionTable[0].to, ["corrupt", "incomplete", "available"])
    }
}

final class TypeRulesTests: XCTestCase {
    func testDefaultsCoverOCPTypes() {
        let rules = TypeRules.defaults
        XCTAssertEqual(rules.type(forName: "t-oceanbase-ocp-agent"), PackageType.ocpAgent)
        XCTAssertEqual(rules.type(forName: "ocp-agent-ce"), PackageType.ocpAgent)
        XCTAssertEqual(rules.type(forName: "obproxy-ce"), PackageType.obproxy)
        XCTAssertEqual(rules.type(forName: "ob-backup-agent"), PackageType.obBackupAgent)
        XCTAssertEqual(rules.type(forName: "oceanbase"), PackageType.obServer)
        XCTAssertEqual(rules.type(forName: "OceanBase-CE"), PackageType.obServer)
        XCTAssertEqual(rules.type(forName: "t-oceanbase"), PackageType.obServer)
        XCTAssertEqual(rules.type(forName: "oceanbase-ce-libs"), PackageType.generic)
        XCTAssertEqual(rules.type(forName: "nginx"), PackageType.generic)
    }

    func testCustomRulesAndFallback() throws {
        let json = #"{"rules": [{"pattern": "my-*", "type": "MINE"}], "fallback": "OTHER"}"#
        let rules = try JSONDecoder().decode(TypeRules.self, from: Data(json.utf8))
        XCTAssertEqual(rules.type(forName: "my-tool"), "MINE")
        XCTAssertEqual(rules.type(forName: "obproxy"), "OTHER")
    }
}

final class PathComponentTests: XCTestCase {
    func testHostileValuesBecomeOneSafeComponent() {
        XCTAssertEqual(PathComponent.safe("../../etc"), ".._.._etc")
        XCTAssertEqual(PathComponent.safe(".."), "__")
        XCTAssertEqual(PathComponent.safe("."), "_")
        XCTAssertEqual(PathComponent.safe(""), "unknown")
        XCTAssertEqual(PathComponent.safe(nil), "unknown")
        XCTAssertEqual(PathComponent.safe("a\0b/c"), "a_b_c")
        XCTAssertLessThanOrEqual(PathComponent.safe(String(repeating: "é", count: 300)).utf8.count, 255)
    }

    /// The fuzz-deb finding (Fuzz/corpus/fuzz-deb/regress-slash-combining_1.0_amd64.deb): a "/"
    /// followed by a combining mark is one Character, which a Character-wise replacement kept;
    /// the kernel then failed the readdir of the whole arch directory with EIO.
    func testSlashOrNulFollowedByACombiningMarkIsReplaced() {
        for value in ["1.0/\u{301}", "/\u{301}", "a/\u{301}\u{302}b", "\0\u{301}", "x\u{200D}/\u{301}"] {
            let safe = PathComponent.safe(value)
            XCTAssertFalse(safe.unicodeScalars.contains("/"), value.debugDescription)
            XCTAssertFalse(safe.unicodeScalars.contains("\0"), value.debugDescription)
            XCTAssertFalse(safe.utf8.contains(UInt8(ascii: "/")), value.debugDescription)
        }
        XCTAssertEqual(Array(PathComponent.safe("1.0/\u{301}").unicodeScalars), Array("1.0_\u{301}".unicodeScalars))
    }

    /// One Character longer than NAME_MAX (a letter with hundreds of combining marks): cut by
    /// scalars, never to nothing.
    func testOneHugeCharacterIsCutToAtMost255BytesAndNotToNothing() {
        let huge = "a" + String(repeating: "\u{301}", count: 400)
        XCTAssertEqual(huge.count, 1)
        let safe = PathComponent.safe(huge)
        XCTAssertFalse(safe.isEmpty)
        XCTAssertLessThanOrEqual(safe.utf8.count, 255)
        XCTAssertGreaterThanOrEqual(safe.utf8.count, 254)
        XCTAssertTrue(safe.hasPrefix("a") || safe.unicodeScalars.first == "a")
    }
}
