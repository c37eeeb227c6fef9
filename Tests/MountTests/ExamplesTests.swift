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
        // A relative mount point (m.sh runs in the mount point's parent) prints the same TYPE/... path.
        let relative = m.sh("\(examples)/upload.sh mnt \(older)")
        XCTAssertTrue(relative.ok && relative.stdout.hasPrefix("ok  t-oceanbase-ocp-agent-3.1.2-20210812221645.alios7.x86_64.rpm -> \(agentDir)/3.1.2/"),
                      relative.stdout + relative.stderr)

        // A truncated upload of another 3.1.10 build is kept corrupt in the same version directory.
        let broken = "t-oceanbase-ocp-agent-3.1.10-20211002000000.alios7.x86_64"
        XCTAssertFalse(m.sh("head -c 3000 \(newer) > \(broken).rpm && cp \(broken).rpm $M/incoming/").ok)
        XCTAssertEqual(m.sh("cat $M/\(agentDir)/3.1.10/\(broken)/state").trimmed, "corrupt")

        // rpmvercmp: 3.1.10 is newer than 3.1.2, whatever the upload order; only the available package is printed.
        let latest = m.sh("\(examples)/latest.sh $M OCP_AGENT_INSTALL_PACKAGE alios7 x86_64")
        XCTAssertTrue(latest.ok, latest.stderr)
        let stem = "t-oceanbase-ocp-agent-3.1.10-20211001000000.alios7.x86_64"
        XCTAssertEqual(latest.trimmed, "\(m.mountPoint)/\(agentDir)/3.1.10/\(stem)/\(stem).rpm")
        XCTAssertTrue(m.sh("cmp \(newer) \(latest.trimmed)").ok, "the path printed is the package's bytes")
        let none = m.sh("\(examples)/latest.sh $M GENERIC_PACKAGE el9 aarch64")
        XCTAssertFalse(none.ok)
        XCTAssertTrue(none.stderr.contains("no packages under GENERIC_PACKAGE/el9/aarch64"), none.stderr)
        // Only corrupt packages of a type/OS/arch: nothing printed, a failure with why.
        XCTAssertFalse(m.sh("head -c 3000 \(older) > zz-1.0-1.el8.x86_64.rpm && cp zz-1.0-1.el8.x86_64.rpm $M/incoming/").ok)
        let onlyCorrupt = m.sh("\(examples)/latest.sh $M GENERIC_PACKAGE el8 x86_64")
        XCTAssertEqual(onlyCorrupt.status, 1)
        XCTAssertEqual(onlyCorrupt.stdout, "")
        XCTAssertTrue(onlyCorrupt.stderr.contains("no available package under GENERIC_PACKAGE/el8/x86_64"), onlyCorrupt.stderr)

        // meta.sh by SHA-256 (by-sha256/), SHA-1 (by-sha1/), id and UUID (by-id/).
        let olderSHA1 = m.sh("sha1sum \(older) | cut -c1-40").trimmed
        let olderID = m.sh("cat $M/by-sha256/\(olderSHA256)/meta.json | jq -r .id").trimmed
        let olderUUID = m.sh("cat $M/by-sha256/\(olderSHA256)/meta.json | jq -r .uuid").trimmed
        for key in [olderSHA256, olderSHA1, olderID, olderUUID] {
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
            XCTAssertEqual(json["sha1"] as? String, olderSHA1)
        }
        let unknown = m.sh("\(examples)/meta.sh $M \(String(repeating: "0", count: 40))")
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no package by-sha1/"), unknown.stderr)
    }

    /// Missing arguments print the script's own usage line (not bash's `${1:?}` text) and exit 2.
    func testScriptsPrintTheirUsageAndExit2() throws {
        let usages = [
            ("latest.sh", "latest.sh $M OCP_AGENT_INSTALL_PACKAGE alios7", "usage: latest.sh MOUNTPOINT TYPE OS ARCH"),
            ("meta.sh", "meta.sh $M", "usage: meta.sh MOUNTPOINT SHA256|SHA1|ID|UUID"),
            ("upload.sh", "upload.sh $M", "usage: upload.sh MOUNTPOINT FILE..."),
            ("make-bundle.sh", "make-bundle.sh out.tar.gz acc", "usage: make-bundle.sh OUT.tar.gz PACKAGE VERSION"),
            ("make-bundle.sh", "make-bundle.sh out.tar.gz acc 1.0.0 image.tar --mount", "usage: make-bundle.sh OUT.tar.gz PACKAGE VERSION"),
        ]
        for (script, call, usage) in usages {
            for command in ["\(examples)/\(script)", "\(examples)/\(call)"] {
                let result = Shell.run(command, environment: ["M": "/nonexistent-mount"])
                XCTAssertEqual(result.status, 2, command)
                XCTAssertTrue(result.stderr.hasPrefix(usage), "\(command): \(result.stderr)")
                XCTAssertFalse(result.stderr.contains("unbound variable"), "\(command): \(result.stderr)")
                XCTAssertEqual(result.stdout, "", command)
            }
        }
        // A bundle version that is not SemVer is refused before anything is built.
        for version in ["1.0", "v1.0.0", "1.0.0-01", "1.2.3.4"] {
            let result = Shell.run("cd \(NSTemporaryDirectory()) && \(examples)/make-bundle.sh never-built.tar.gz acc \(version) image.tar")
            XCTAssertEqual(result.status, 2, version)
            XCTAssertTrue(result.stderr.contains("version '\(version)' is not SemVer"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "never-built.tar.gz"))
        }
    }

    /// make-bundle.sh --mount: a bundle pkgfs keeps as corrupt fails the script with pkgfs's reason.
    func testMakeBundleFailsWithPkgfsReason() throws {
        let m = try MountedStore.make(self)
        Shell.run("cd \(m.root) && mkdir -p mat && tar cf mat/provider.tar -C /etc passwd")
        let long = String(repeating: "a", count: 32)  // the Astra schema allows 1 to 31 characters
        let result = m.sh("\(examples)/make-bundle.sh long-1.0.0.tar.gz \(long) 1.0.0 --mount $M mat/provider.tar")
        XCTAssertEqual(result.status, 1, result.stdout + result.stderr)
        XCTAssertTrue(result.stderr.contains("upload of long-1.0.0.tar.gz failed: it is corrupt"), result.stderr)
        let sha256 = m.sh("sha256sum long-1.0.0.tar.gz | cut -c1-64").trimmed
        let detail = m.sh("jq -r '.packageStateDetails[0] | \"\\(.title): \\(.detail)\"' $M/by-sha256/\(sha256)/meta.json").trimmed
        XCTAssertTrue(detail.hasPrefix("packageName "), detail)
        XCTAssertTrue(result.stderr.contains(detail), "the reason is pkgfs's own: \(result.stderr)")
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
