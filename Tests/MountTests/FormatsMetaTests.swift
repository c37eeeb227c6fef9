import Foundation
import TestSupport
import XCTest

/// meta.json through a real mount, field by field against the format's own tools:
/// `rpm -qp --queryformat` for RPMs, `dpkg-deb -f` for debs (SPEC §1).
final class FormatsMetaTests: XCTestCase {
    func testRPMMetaMatchesRpmQueryformat() throws {
        let m = try MountedStore.make(self)
        let tree = m.root + "/tree"
        try PayloadFixtures.makeTree(tree, bigBytes: 2000)
        var withEpoch = PayloadFixtures.RPMOptions()
        withEpoch.payload = "w6.xzdio"
        var noarch = PayloadFixtures.RPMOptions()
        noarch.name = "t-oceanbase-ocp-agent"
        noarch.epoch = nil
        noarch.version = "3.1.2"
        noarch.arch = "noarch"
        var arm = PayloadFixtures.RPMOptions()
        arm.name = "rich-arm"
        arm.release = "7"  // no dot: all of it is the buildNumber
        arm.arch = "aarch64"
        arm.payload = "w19.zstdio"
        for (options, type, os, buildNumber) in [
            (withEpoch, "GENERIC_PACKAGE", "alios7", "20210812221645"),
            (noarch, "OCP_AGENT_INSTALL_PACKAGE", "alios7", "20210812221645"),
            (arm, "GENERIC_PACKAGE", "unknown", "7"),
        ] {
            let rpm = try PayloadFixtures.rpm(options, tree: tree, in: m.root)
            let file = (rpm as NSString).lastPathComponent
            let base = String(file.dropLast(4))
            XCTAssertTrue(m.sh("cp \(Shell.quote(rpm)) $M/incoming/").ok, m.log)
            // Filed by the header: TYPE/OS/ARCH/VERSION/PKG.
            XCTAssertEqual(m.sh("readlink $M/incoming/\(Shell.quote(file))").trimmed,
                           "../\(type)/\(os)/\(options.arch)/\(options.version)/\(base)")
            let json = try meta(m, "$M/incoming/\(Shell.quote(file))/meta.json")
            func q(_ format: String) -> String { m.sh("rpm -qp --queryformat \(Shell.quote(format)) \(Shell.quote(rpm))").stdout }
            func none(_ s: String) -> String? { s == "(none)" ? nil : s }

            // Top level (SPEC §1: the header wins; RELEASE split at its last dot).
            XCTAssertEqual(json["name"] as? String, q("%{NAME}"))
            XCTAssertEqual(json["version"] as? String, q("%{VERSION}"))
            XCTAssertEqual(json["release"] as? String, q("%{RELEASE}"))
            XCTAssertEqual(json["epoch"] as? Int, none(q("%{EPOCH}")).flatMap { Int($0) })
            XCTAssertEqual(json["architecture"] as? String, q("%{ARCH}"))
            XCTAssertEqual(json["buildNumber"] as? String, buildNumber)
            XCTAssertEqual(json["operatingSystem"] as? String, os)
            XCTAssertEqual(json["type"] as? String, type)
            XCTAssertEqual(json["format"] as? String, "rpm")
            XCTAssertEqual(json["extension"] as? String, "rpm")
            XCTAssertEqual(json["fileName"] as? String, file)
            XCTAssertEqual(json["packageState"] as? String, "available")

            // Header data under "rpm".
            let r = try XCTUnwrap(json["rpm"] as? [String: Any], "\(json.keys.sorted())")
            let strings: [(String, String)] = [
                ("name", "NAME"), ("version", "VERSION"), ("release", "RELEASE"), ("arch", "ARCH"),
                ("os", "OS"), ("summary", "SUMMARY"), ("description", "DESCRIPTION"), ("license", "LICENSE"),
                ("url", "URL"), ("vendor", "VENDOR"), ("group", "GROUP"), ("buildHost", "BUILDHOST"),
                ("sourceRPM", "SOURCERPM"), ("payloadCompressor", "PAYLOADCOMPRESSOR"),
                ("payloadFormat", "PAYLOADFORMAT"),
            ]
            for (key, tag) in strings {
                XCTAssertEqual(r[key] as? String, none(q("%{\(tag)}")), "\(file): rpm.\(key) vs %{\(tag)}")
            }
            XCTAssertEqual(r["epoch"] as? Int, none(q("%{EPOCH}")).flatMap { Int($0) })
            XCTAssertEqual(r["buildTime"] as? Int, Int(q("%{BUILDTIME}")))
            XCTAssertEqual(r["size"] as? Int, Int(q("%{SIZE}")))
            XCTAssertEqual((r["payloadDigests"] as? [String])?.first, q("%{PAYLOADDIGEST}"))
            let signature = try XCTUnwrap(r["signature"] as? [String: Any])
            XCTAssertEqual(signature["headerSHA256"] as? String, q("%{SHA256HEADER}"))

            // Dependencies, in header order, as `rpm -qp --requires` etc. print them.
            for (key, option) in [("requires", "--requires"), ("provides", "--provides"), ("conflicts", "--conflicts"),
                                  ("obsoletes", "--obsoletes"), ("recommends", "--recommends"),
                                  ("suggests", "--suggests")] {
                let expected = m.sh("rpm -qp \(option) \(Shell.quote(rpm))").stdout.split(separator: "\n").map(String.init)
                let actual = (r[key] as? [[String: Any]] ?? []).map { dep -> String in
                    let name = dep["name"] as? String ?? "?", cmp = dep["comparison"] as? String ?? ""
                    let version = dep["version"] as? String ?? ""
                    return cmp.isEmpty || version.isEmpty ? name : "\(name) \(cmp) \(version)"
                }
                XCTAssertEqual(actual, expected, "\(file): rpm.\(key) vs rpm -qp \(option)")
                XCTAssertFalse(expected.isEmpty, "\(file): the fixture has \(key)")
            }
            XCTAssertTrue((r["requires"] as? [[String: Any]] ?? []).contains { ($0["types"] as? [String])?.contains("post") == true },
                          "Requires(post) is typed")

            // The file list with per-file digests.
            let expectedFiles = q("[%{FILENAMES}|%{FILESIZES}|%{FILEMODES}|%{FILEMTIMES}|%{FILEDIGESTS}|%{FILELINKTOS}|%{FILEUSERNAME}|%{FILEGROUPNAME}|%{FILEFLAGS}\\n]")
                .split(separator: "\n").map(String.init)
            let actualFiles = (r["files"] as? [[String: Any]] ?? []).map { f -> String in
                let fields: [Any?] = [f["path"], f["size"], f["mode"], f["mtime"], f["digest"], f["linkTarget"],
                                      f["user"], f["group"], f["flags"]]
                return fields.map { v -> String in
                    switch v {
                    case let s as String: return s
                    case let n as Int: return String(n)
                    default: return ""
                    }
                }.joined(separator: "|")
            }
            XCTAssertEqual(actualFiles, expectedFiles, "\(file): rpm.files")
            XCTAssertEqual(actualFiles.count, 24)
            let config = (r["files"] as? [[String: Any]] ?? []).first { ($0["path"] as? String) == "/opt/rich/etc/rich.conf" }
            XCTAssertEqual(config?["attributes"] as? [String], ["config", "noreplace"])
        }
    }

    /// An RPM's epoch is not in its version directory's name but orders it (SPEC §1): 1:1.5 is
    /// newer than 10.0, so it is listed last and `latest` leads to it, while it is available.
    func testAnRPMsEpochOrdersItsVersionDirectory() throws {
        let m = try MountedStore.make(self)
        let tree = m.root + "/tree"
        try PayloadFixtures.makeTree(tree, bigBytes: 10)
        var rpms: [String] = []
        for (epoch, version) in [(nil, "10.0"), (1, "1.5"), (nil, "2.0")] as [(Int?, String)] {
            var options = PayloadFixtures.RPMOptions()
            options.name = "verord"
            options.epoch = epoch
            options.version = version
            options.release = "1.el9"
            let rpm = try PayloadFixtures.rpm(options, tree: tree, in: m.root)
            rpms.append(rpm)
            XCTAssertTrue(m.sh("cp \(Shell.quote(rpm)) $M/incoming/").ok, m.log)
        }
        XCTAssertEqual(m.sh("ls -U $M/GENERIC_PACKAGE/el9/x86_64").stdout, "2.0\n10.0\n1.5\nlatest\n", "listed in version order")
        XCTAssertEqual(m.sh("readlink $M/GENERIC_PACKAGE/el9/x86_64/latest").trimmed, "1.5")

        // latest leads to what can be installed: not to a version whose packages are corrupt,
        // whether marked so or uploaded broken.
        XCTAssertTrue(m.sh("echo corrupt > $M/GENERIC_PACKAGE/el9/x86_64/1.5/verord-1.5-1.el9.x86_64/state").ok)
        XCTAssertEqual(m.sh("readlink $M/GENERIC_PACKAGE/el9/x86_64/latest").trimmed, "10.0", "a state change moves it at once")
        Shell.run("head -c 3000 \(Shell.quote(rpms[0])) > \(m.root)/verord-11.0-1.el9.x86_64.rpm")
        XCTAssertFalse(m.sh("cp verord-11.0-1.el9.x86_64.rpm $M/incoming/").ok)
        XCTAssertEqual(m.sh("cat $M/GENERIC_PACKAGE/el9/x86_64/11.0/verord-11.0-1.el9.x86_64/state").stdout, "corrupt\n")
        XCTAssertEqual(m.sh("ls -U $M/GENERIC_PACKAGE/el9/x86_64").stdout, "2.0\n10.0\n11.0\n1.5\nlatest\n")
        XCTAssertEqual(m.sh("readlink $M/GENERIC_PACKAGE/el9/x86_64/latest").trimmed, "10.0", "not the corrupt 11.0")

        // A corrupt RPM's epoch does not lift an available one of the same version: 0:2.0 beside
        // a corrupt 7:2.0 stays below 10.0.
        var epoch7 = PayloadFixtures.RPMOptions()
        (epoch7.name, epoch7.epoch, epoch7.version, epoch7.release) = ("verord-other", 7, "2.0", "1.el9")
        XCTAssertTrue(m.sh("cp \(Shell.quote(try PayloadFixtures.rpm(epoch7, tree: tree, in: m.root))) $M/incoming/").ok, m.log)
        XCTAssertEqual(m.sh("readlink $M/GENERIC_PACKAGE/el9/x86_64/latest").trimmed, "2.0", "7:2.0 is the newest")
        XCTAssertTrue(m.sh("echo corrupt > $M/GENERIC_PACKAGE/el9/x86_64/2.0/verord-other-2.0-1.el9.x86_64/state").ok)
        XCTAssertEqual(m.sh("readlink $M/GENERIC_PACKAGE/el9/x86_64/latest").trimmed, "10.0")
    }

    /// Debs and tarballs filed side by side are ordered by one set of rules (dpkg's, since a deb
    /// is among them): rpm puts `1.0a` above `1.0+`, dpkg the reverse, and an order taking each
    /// pair by its left side's rules depended on how the sort ran. dpkg versions as dpkg-deb
    /// builds them, epochs with a sign or leading zeros too, are accepted.
    func testDebsAndTarballsInOneDirectoryFollowOneOrdering() throws {
        let m = try MountedStore.make(self)
        let tree = m.root + "/tree"
        try PayloadFixtures.makeTree(tree, bigBytes: 10)
        let newest = try PayloadFixtures.deb(name: "mixedep", version: "0001:0.5", compression: "gzip", tree: tree, in: m.root)
        let plus = try PayloadFixtures.deb(name: "mixed", version: "1.0+", compression: "gzip", tree: tree, in: m.root)
        Shell.run("tar czf \(m.root)/mixed-1.0a-1.unknown.amd64.tar.gz -C \(Shell.quote(tree)) .")
        for file in [plus, newest, m.root + "/mixed-1.0a-1.unknown.amd64.tar.gz"] {
            XCTAssertTrue(m.sh("cp \(Shell.quote(file)) $M/incoming/").ok, m.log)
        }
        XCTAssertEqual(m.sh("ls -U $M/GENERIC_PACKAGE/unknown/amd64").stdout, "1.0a\n1.0+\n0001:0.5\nlatest\n")
        XCTAssertEqual(m.sh("readlink $M/GENERIC_PACKAGE/unknown/amd64/latest").trimmed, "0001:0.5")
    }

    func testDebMetaMatchesDpkgDebFields() throws {
        let m = try MountedStore.make(self)
        let tree = m.root + "/tree"
        try PayloadFixtures.makeTree(tree, bigBytes: 2000)
        let deb = try PayloadFixtures.deb(compression: "xz", tree: tree, in: m.root)
        let file = (deb as NSString).lastPathComponent
        XCTAssertTrue(m.sh("cp \(Shell.quote(deb)) $M/incoming/").ok, m.log)
        let json = try meta(m, "$M/incoming/\(file)/meta.json")
        let d = try XCTUnwrap(json["deb"] as? [String: Any], "\(json.keys.sorted())")
        let fields = try XCTUnwrap(d["fields"] as? [String: String])
        // Every field dpkg-deb -f prints, in its order, each value exactly as dpkg-deb -f FIELD gives it.
        let all = m.sh("dpkg-deb -f \(Shell.quote(deb))").stdout
        let names = all.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map { String($0.prefix { $0 != ":" }) }
        XCTAssertEqual(names.count, 17, all)
        XCTAssertEqual(d["fieldOrder"] as? [String], names)
        XCTAssertEqual(fields.keys.sorted(), names.sorted())
        for name in names {
            let value = m.sh("dpkg-deb -f \(Shell.quote(deb)) \(name)").stdout
            XCTAssertEqual(fields[name].map { $0 + "\n" }, value, "field \(name)")
        }
        XCTAssertEqual(d["conffiles"] as? [String], ["/opt/rich/etc/rich.conf"])
        // md5sums as dpkg wrote them.
        let sums = m.sh("cd \(Shell.quote(tree)) && md5sum bin/rich private/key").stdout.split(separator: "\n")
        let md5 = try XCTUnwrap(d["md5sums"] as? [String: String])
        for line in sums {
            let parts = line.split(separator: " ", maxSplits: 1)
            let path = "opt/rich/" + parts[1].trimmingCharacters(in: .whitespaces)
            XCTAssertEqual(md5[path], String(parts[0]), path)
        }
        // Top level.
        XCTAssertEqual(json["name"] as? String, "rich-tool")
        XCTAssertEqual(json["version"] as? String, "2:1.4.0~beta2-3")
        XCTAssertEqual(json["epoch"] as? Int, 2)
        XCTAssertEqual(json["release"] as? String, "3")
        XCTAssertEqual(json["buildNumber"] as? String, "3")
        XCTAssertEqual(json["architecture"] as? String, "amd64")
        XCTAssertEqual(json["format"] as? String, "deb")
        XCTAssertEqual(json["extension"] as? String, "deb")
        XCTAssertEqual(json["packageState"] as? String, "available")
    }

    private func meta(_ m: MountedStore, _ path: String, file: StaticString = #filePath,
                      line: UInt = #line) throws -> [String: Any] {
        let text = m.sh("cat \(path)")
        XCTAssertTrue(text.ok, text.stderr, file: file, line: line)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.stdout.utf8)) as? [String: Any],
                             text.stdout, file: file, line: line)
    }
}
