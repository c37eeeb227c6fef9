import Foundation
import TestSupport
import XCTest

/// Astra bundles through the mount (SPEC §5): each outcome, and a patch bundle's fields.
final class BundleTests: XCTestCase {
    let examples = TestPackages.examples

    /// Two real image archives and a YAML file to carry inline.
    func materials(_ m: MountedStore) {
        Shell.run("""
            cd \(m.root) && mkdir -p mat && tar cf mat/storage-provider.tar -C /etc passwd \
            && tar cf mat/credentials.tar -C /etc hostname && printf 'kind: Config\\n' > mat/acc_min.yaml
            """)
    }

    func meta(_ m: MountedStore, _ version: String, _ stem: String) throws -> [String: Any] {
        let text = m.sh("cat $M/ASTRA_PACKAGE/unknown/unknown/\(version)/\(stem)/meta.json").stdout
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testAvailableBundleBuiltByTheExampleScript() throws {
        let m = try MountedStore.make(self)
        materials(m)
        let built = m.sh("\(examples)/make-bundle.sh acc-bundle-22.9.1.tar.gz acc 22.9.1 --mount $M mat/storage-provider.tar mat/credentials.tar -- mat/acc_min.yaml")
        XCTAssertTrue(built.ok, built.stdout + built.stderr + m.log)
        let json = try meta(m, "22.9.1", "acc-bundle-22.9.1")
        XCTAssertEqual(json["type"] as? String, "ASTRA_PACKAGE")
        XCTAssertEqual(json["format"] as? String, "bundle")
        XCTAssertEqual(json["packageState"] as? String, "available")
        XCTAssertEqual(json["packageName"] as? String, "acc")
        XCTAssertEqual(json["packageVersion"] as? String, "22.9.1")
        XCTAssertEqual(json["packageType"] as? String, "install")
        let images = try XCTUnwrap(json["images"] as? [[String: Any]])
        XCTAssertEqual(images.map { $0["imageName"] as? String }, ["storage-provider", "credentials"])
        let digest = m.sh("sha256sum mat/storage-provider.tar | cut -d' ' -f1").trimmed
        XCTAssertEqual(images.first?["imageDigest"] as? String, "sha256:" + digest)
        XCTAssertEqual((json["files"] as? [[String: Any]])?.first?["fileName"] as? String, "acc_min.yaml")
        XCTAssertEqual(m.sh("ls $M/search/astra").trimmed, "acc-bundle-22.9.1")
        // files/ shows the bundle's members and each files[] entry under its fileName, decoded.
        let files = "$M/ASTRA_PACKAGE/unknown/unknown/22.9.1/acc-bundle-22.9.1/files"
        XCTAssertEqual(m.sh("ls \(files)").stdout, "acc_min.yaml\nimages\npackage.json\n")
        XCTAssertTrue(m.sh("cmp mat/acc_min.yaml \(files)/acc_min.yaml").ok)
        XCTAssertTrue(m.sh("cmp mat/storage-provider.tar \(files)/images/storage-provider.tar").ok)
        XCTAssertEqual(m.sh("stat -c %s \(files)/acc_min.yaml").trimmed, m.sh("stat -c %s mat/acc_min.yaml").trimmed)
    }

    func testIncompleteWhenAnImageIsMissing() throws {
        let m = try MountedStore.make(self)
        materials(m)
        XCTAssertTrue(m.sh("\(examples)/make-bundle.sh full.tar.gz acc 1.0.0 mat/storage-provider.tar mat/credentials.tar").ok)
        // Drop one image from the bundle but keep it in package.json.
        Shell.run("cd \(m.root) && mkdir x && tar xzf full.tar.gz -C x && rm x/images/credentials.tar && tar czf acc-missing-1.0.0.tar.gz -C x package.json images")
        let cp = m.sh("cp acc-missing-1.0.0.tar.gz $M/incoming/")
        XCTAssertFalse(cp.ok)
        XCTAssertTrue(cp.stderr.contains("Input/output error"), cp.stderr)
        let json = try meta(m, "1.0.0", "acc-missing-1.0.0")
        XCTAssertEqual(json["packageState"] as? String, "incomplete")
        let details = try XCTUnwrap(json["packageStateDetails"] as? [[String: Any]])
        XCTAssertEqual(details.count, 1)
        XCTAssertTrue((details[0]["detail"] as? String ?? "").contains("credentials"), "\(details)")
    }

    func testCorruptByDigestAndByLimits() throws {
        let m = try MountedStore.make(self)
        materials(m)
        XCTAssertTrue(m.sh("\(examples)/make-bundle.sh good.tar.gz acc 2.0.0 mat/storage-provider.tar").ok)
        // Same manifest, other image bytes: digest mismatch.
        Shell.run("cd \(m.root) && mkdir y && tar xzf good.tar.gz -C y && tar cf y/images/storage-provider.tar -C /etc hostname && tar czf acc-digest-2.0.0.tar.gz -C y package.json images")
        XCTAssertFalse(m.sh("cp acc-digest-2.0.0.tar.gz $M/incoming/").ok)
        let digest = try meta(m, "2.0.0", "acc-digest-2.0.0")
        XCTAssertEqual(digest["packageState"] as? String, "corrupt")
        XCTAssertTrue("\(digest["packageStateDetails"] ?? "")".contains("sha256"), "\(digest["packageStateDetails"] ?? "")")
        // A 32-character packageName and a bad packageType: one detail each.
        let long = String(repeating: "a", count: 32)
        Shell.run("""
            cd \(m.root) && mkdir z && tar xzf good.tar.gz -C z \
            && jq '.packageName = "\(long)" | .packageType = "hotfix"' z/package.json > z/p && mv z/p z/package.json \
            && tar czf acc-limits-2.0.0.tar.gz -C z package.json images
            """)
        XCTAssertFalse(m.sh("cp acc-limits-2.0.0.tar.gz $M/incoming/").ok)
        let limits = try meta(m, "2.0.0", "acc-limits-2.0.0")
        XCTAssertEqual(limits["packageState"] as? String, "corrupt")
        let details = try XCTUnwrap(limits["packageStateDetails"] as? [[String: Any]])
        XCTAssertEqual(details.count, 2, "\(details)")
    }

    func testPatchBundleCarriesUpgradeFieldsAndDependencies() throws {
        let m = try MountedStore.make(self)
        materials(m)
        XCTAssertTrue(m.sh("\(examples)/make-bundle.sh base.tar.gz acc 22.10.0 --patch mat/credentials.tar").ok)
        Shell.run("""
            cd \(m.root) && mkdir p && tar xzf base.tar.gz -C p \
            && jq '.upgradableVersions = {minVersion: "22.4.0", maxVersion: "22.9.9"}
                   | .dependencies = [{componentName: "kubernetes", componentMinVersion: "v1.19.7", componentMaxVersion: "v1.20"},
                                      {componentName: "trident", componentMinVersion: "v21.01.1"}]' p/package.json > p/x \
            && mv p/x p/package.json && tar czf acc-patch-22.10.0.tar.gz -C p package.json images
            """)
        let cp = m.sh("cp acc-patch-22.10.0.tar.gz $M/incoming/")
        XCTAssertTrue(cp.ok, cp.stderr + m.log)
        let json = try meta(m, "22.10.0", "acc-patch-22.10.0")
        XCTAssertEqual(json["packageType"] as? String, "patch")
        let upgrade = try XCTUnwrap(json["upgradableVersions"] as? [String: Any])
        XCTAssertEqual(upgrade["minVersion"] as? String, "22.4.0")
        let deps = try XCTUnwrap(json["dependencies"] as? [[String: Any]])
        XCTAssertEqual(deps.map { $0["componentName"] as? String }, ["kubernetes", "trident"])
        XCTAssertEqual(deps.first?["componentMaxVersion"] as? String, "v1.20")
    }

    /// SPEC §5: registration shows `verifying` while the bundle is checked. The daemon holds the
    /// bundle in `verifying` until a gate file exists (`PKGFS_TEST_VERIFY_GATE`), so a second
    /// process reads that state while `cp` is still in close(), with no timing involved.
    func testVerifyingIsVisibleWhileTheBundleIsChecked() throws {
        let gate = NSTemporaryDirectory() + "pkgfs-verify-gate-" + UUID().uuidString.prefix(8).lowercased()
        addTeardownBlock { unlink(gate) } // last, after the unmount
        let m = try MountedStore.make(self, environment: ["PKGFS_TEST_VERIFY_GATE": gate])
        // Before the unmount: a failed assertion must not leave close() waiting for the gate.
        addTeardownBlock { _ = FileManager.default.createFile(atPath: gate, contents: nil) }
        materials(m)
        XCTAssertTrue(m.sh("\(examples)/make-bundle.sh acc-verify-3.1.4.tar.gz acc 3.1.4 mat/storage-provider.tar -- mat/acc_min.yaml").ok)
        let dir = "$M/ASTRA_PACKAGE/unknown/unknown/3.1.4/acc-verify-3.1.4"

        let cp = try BackgroundShell("cp acc-verify-3.1.4.tar.gz \"$M/incoming/\"", in: m.root,
                                     environment: ["M": m.mountPoint], test: self)
        let seen = m.waitUntil(timeout: 60) { m.sh("cat \(dir)/state 2>/dev/null").stdout == "verifying\n" }
        XCTAssertTrue(seen, "state never read verifying; log:\n\(m.log)")
        XCTAssertTrue(cp.isRunning, "cp returns only after the final state")
        if seen {
            let json = try meta(m, "3.1.4", "acc-verify-3.1.4")
            XCTAssertEqual(json["packageState"] as? String, "verifying")
            XCTAssertEqual(json["packageName"] as? String, "acc")
            XCTAssertEqual((json["packageStateDetails"] as? [Any])?.count, 0)
            XCTAssertEqual(m.sh("getfattr --only-values -n user.pkgfs.state \(dir)").stdout, "verifying")
            let byDigest = m.sh("readlink $M/by-sha256/$(sha256sum acc-verify-3.1.4.tar.gz | cut -d' ' -f1)").trimmed
            XCTAssertTrue(byDigest.hasSuffix("/3.1.4/acc-verify-3.1.4"), "registered where it stays: \(byDigest)")
            XCTAssertFalse(m.sh("ls \(dir)").stdout.contains("files"), "no payload listing before the verification")
        }

        XCTAssertTrue(FileManager.default.createFile(atPath: gate, contents: nil))
        XCTAssertTrue(cp.wait(timeout: 120), "cp did not return after the gate opened")
        XCTAssertEqual(cp.status, 0, cp.output + m.log)
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "available\n")
        let final = try meta(m, "3.1.4", "acc-verify-3.1.4")
        XCTAssertEqual(final["packageState"] as? String, "available")
        XCTAssertEqual(m.sh("ls \(dir)/files").stdout, "acc_min.yaml\nimages\npackage.json\n")
        XCTAssertTrue(m.log.contains("as verifying"), m.log)
    }

    /// SPEC §4: a `kill -9` while a bundle is `verifying` loses nothing: the next mount verifies
    /// it from its blob, before the mount is live, and logs it.
    func testABundleCaughtVerifyingByACrashIsFinishedAtTheNextMount() throws {
        let gate = NSTemporaryDirectory() + "pkgfs-verify-gate-" + UUID().uuidString.prefix(8).lowercased()
        let m = try MountedStore.make(self, environment: ["PKGFS_TEST_VERIFY_GATE": gate])
        materials(m)
        XCTAssertTrue(m.sh("\(examples)/make-bundle.sh acc-crash-4.0.0.tar.gz acc 4.0.0 mat/storage-provider.tar").ok)
        let dir = "$M/ASTRA_PACKAGE/unknown/unknown/4.0.0/acc-crash-4.0.0"
        let cp = try BackgroundShell("cp acc-crash-4.0.0.tar.gz \"$M/incoming/\"", in: m.root,
                                     environment: ["M": m.mountPoint], test: self)
        XCTAssertTrue(m.waitUntil(timeout: 60) { m.sh("cat \(dir)/state 2>/dev/null").stdout == "verifying\n" }, m.log)
        try m.killDaemon()
        XCTAssertTrue(cp.wait(timeout: 60), "cp ends when the daemon dies")
        XCTAssertNotEqual(cp.status, 0, "a crash before the final state is not a successful upload")

        // Remounted without the gate: the verification is finished before the mount is live.
        let again = m.pkgfs("mount --store \(Shell.quote(m.store)) \(Shell.quote(m.mountPoint))")
        XCTAssertTrue(again.ok, again.stdout + again.stderr)
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "available\n", m.log)
        XCTAssertEqual(try meta(m, "4.0.0", "acc-crash-4.0.0")["packageState"] as? String, "available")
        XCTAssertEqual(m.sh("ls \(dir)/files/images").stdout, "storage-provider.tar\n")
        XCTAssertTrue(m.log.contains("verified acc-crash-4.0.0.tar.gz id=1, left verifying by an earlier run: available"), m.log)
        XCTAssertEqual(m.temporaryFiles, [])
    }
}
