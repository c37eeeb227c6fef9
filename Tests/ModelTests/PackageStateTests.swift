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
}
