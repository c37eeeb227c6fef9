import Foundation
import TestSupport
import XCTest

/// The scripts in examples/ as a build host runs them, against a real mount.
final class ExamplesTests: XCTestCase {
    let examples = TestPackages.examples
    let agentDir = "OCP_AGENT_INSTALL_PACKAGE/alios7/x86_64"

    func testUploadFindLatestAndReadMetaAsABuildHostDoes() throws {
        let m = try MountedStore.make(self)
        let older = try TestPackages.rpm(name: "t-oceanbase-ocp-agent", version: "3.1.2", release: "20210812221645.alios7", in: m.root)
        let newer = try TestPackages.rpm(name: "t-oceanbase-ocp-agent", version: "3.1.10", release: "20211001000000.alios7", in: m.root)
        let olderSHA256 = m.sh("sha256sum \(older) | cut -c1-64").trimmed

        let uploaded = m.sh("\(examples)/upload.sh $M \(newer) \(older)")
        XCTAssertTrue(uploaded.ok, uploaded.stdout + uploaded.stderr)
        let lines = uploaded.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, uploaded.stdout)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("ok  t-oceanbase-ocp-agent-3.1.") }, uploaded.stdout)
        XCTAssertTrue(uploaded.stdout.contains("-> \(agentDir)/3.1.2/t-oceanbase-ocp-agent-3.1.2-20210812221645.alios7.x86_64 sha256=\(olderSHA256)"),
                      uploaded.stdout)
        XCTAssertEqual(uploaded.stderr, "", "no noise from the tools it runs")
        let again = m.sh("\(examples)/upload.sh $M \(older)")
        XCTAssertTrue(again.ok && again.stdout.contains("sha256=\(olderSHA256) (already there)"), again.stdout + again.stderr)

        // rpmvercmp: 3.1.10 is newer than 3.1.2, whatever the upload order.
        let latest = m.sh("\(examples)/latest.sh $M OCP_AGENT_INSTALL_PACKAGE alios7 x86_64")
        XCTAssertTrue(latest.ok, latest.stderr)
        let stem = "t-oceanbase-ocp-agent-3.1.10-20211001000000.alios7.x86_64"
        XCTAssertEqual(latest.trimmed, "\(m.mountPoint)/\(agentDir)/3.1.10/\(stem)/\(stem).rpm")
        XCTAssertTrue(m.sh("cmp \(newer) \(latest.trimmed)").ok, "the path printed is the package's bytes")
        let none = m.sh("\(examples)/latest.sh $M GENERIC_PACKAGE el9 aarch64")
        XCTAssertFalse(none.ok)
        XCTAssertTrue(none.stderr.contains("no packages under GENERIC_PACKAGE/el9/aarch64"), none.stderr)

        for key in [olderSHA256, m.sh("cat $M/by-sha256/\(olderSHA256)/meta.json | jq -r .id").trimmed] {
            let meta = m.sh("\(examples)/meta.sh $M \(key)")
            XCTAssertTrue(meta.ok, meta.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(meta.stdout.utf8)) as? [String: Any], meta.stdout)
            XCTAssertEqual(json["fileName"] as? String, "t-oceanbase-ocp-agent-3.1.2-20210812221645.alios7.x86_64.rpm")
            XCTAssertEqual(json["version"] as? String, "3.1.2")
            XCTAssertEqual(json["buildNumber"] as? String, "20210812221645")
            XCTAssertEqual(json["packageState"] as? String, "available")
            XCTAssertEqual(json["sha256"] as? String, olderSHA256)
            XCTAssertEqual(json["by"] as? String, "root")
            XCTAssertEqual((json["problems"] as? [Any])?.count, 0)
        }
    }

    func testUploadFailsWithPkgfsReasonForBadContent() throws {
        let m = try MountedStore.make(self)
        let broken = TestPackages.randomFile(m.root + "/broken-1.0-1.el7.x86_64.tar.gz", size: 300)
        let good = TestPackages.randomFile(m.root + "/fine-1.0-1.el7.x86_64.bin", size: 300)
        let result = m.sh("\(examples)/upload.sh $M \(broken) \(good)")
        XCTAssertEqual(result.status, 1, "one refusal fails the run")
        XCTAssertTrue(result.stdout.contains("ok  fine-1.0-1.el7.x86_64.bin"), "the other upload still goes in: \(result.stdout)")
        XCTAssertTrue(result.stderr.contains("ERR broken-1.0-1.el7.x86_64.tar.gz is corrupt: "), result.stderr)
        let details = m.sh("jq -r '.packageStateDetails[0].title' $M/GENERIC_PACKAGE/el7/x86_64/1.0/broken-1.0-1.el7.x86_64/meta.json").trimmed
        XCTAssertFalse(details.isEmpty)
        XCTAssertTrue(result.stderr.contains(details), "the reason is pkgfs's own: \(result.stderr)")

        // Fixed bytes under the broken one's name replace it; other bytes under an available
        // package's name are refused, with why.
        Shell.run("tar czf \(broken) -C /etc hostname && echo other > \(m.root)/other && mkdir -p \(m.root)/o && cp \(m.root)/other \(m.root)/o/fine-1.0-1.el7.x86_64.bin")
        let fixed = m.sh("\(examples)/upload.sh $M \(broken)")
        XCTAssertTrue(fixed.ok && fixed.stdout.contains("ok  broken-1.0-1.el7.x86_64.tar.gz"), fixed.stdout + fixed.stderr)
        let taken = m.sh("\(examples)/upload.sh $M \(m.root)/o/fine-1.0-1.el7.x86_64.bin")
        XCTAssertEqual(taken.status, 1)
        XCTAssertTrue(taken.stderr.contains("holds other bytes under this name"), taken.stderr)
    }
}
