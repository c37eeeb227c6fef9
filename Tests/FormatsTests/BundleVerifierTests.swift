import Foundation
import PkgfsModel
import XCTest
@testable import PkgfsFormats

/// End-to-end verification of real bundles packed with `tar`.
final class BundleVerifierTests: XCTestCase {
    private let yaml = "apiVersion: v1\nkind: ConfigMap\n"

    /// 2 images (primary and tagged layout), an artifact with a digest, one files[] entry.
    private func completeBundle(_ fx: BundleFixture, flags: String = "czf",
                                dotSlash: Bool = false) throws -> (path: String, digests: [String]) {
        let dir = try fx.stage("complete-\(flags)-\(dotSlash)")
        let a = try fx.writeRandom(size: 300_000, to: "globalcicd/acc/storage-provider.tar", in: dir)
        let b = try fx.writeRandom(size: 120_000, to: "globalcicd/acc/credentials_1.3.45.tar", in: dir)
        let c = try fx.writeRandom(size: 4_096, to: "vmware/1.0/ovftool.bin", in: dir)
        let digests = [try fx.sha256sum(a), try fx.sha256sum(b), try fx.sha256sum(c)]
        try fx.writeManifest(BundleFixture.manifest(extra: [
            "id": "54edc2b3-18c5-5371-904b-ebcd04d88bdc",
            "bundleName": ["acc-23.07"],
            "images": [
                BundleFixture.image("storage-provider", tag: "1.3.116", digest: digests[0]),
                BundleFixture.image("credentials", tag: "1.3.45", digest: digests[1]),
            ],
            "artifacts": [[
                "artifactName": "ovftool.bin", "artifactIdentifier": "ovftool",
                "artifactPath": "/vmware/1.0/", "artifactVersion": "4.4.3",
                "artifactDigest": digests[2],
            ]],
            "files": [[
                "fileName": "astra_control_center_min.yaml", "fileIdentifier": "astra_min",
                "fileMediaType": "application/x-yaml",
                "fileContents": Data(yaml.utf8).base64EncodedString(),
            ]],
        ]), in: dir)
        return (try fx.pack(dir, flags: flags, name: "complete-\(dotSlash).\(flags)", dotSlash: dotSlash), digests)
    }

    func testCompleteBundleIsAvailable() throws {
        let fx = try BundleFixture()
        let (path, digests) = try completeBundle(fx)
        XCTAssertTrue(BundleVerifier.isBundle(path: path))
        let v = BundleVerifier.verify(path: path)
        XCTAssertEqual(v.problems, [])
        XCTAssertEqual(v.state, .available)
        XCTAssertEqual(v.details, [])

        let m = try XCTUnwrap(v.manifest)
        XCTAssertEqual(m.packageName, "acc")
        XCTAssertEqual(m.packageVersion, "23.07.0")
        XCTAssertEqual(m.packageType, "install")
        XCTAssertEqual(m.bundleName, ["acc-23.07"])
        XCTAssertEqual(m.images?.count, 2)
        XCTAssertEqual(m.artifacts?.first?.artifactPath, "/vmware/1.0/")

        XCTAssertEqual(v.members.map(\.path), ["globalcicd/acc/storage-provider.tar",
                                               "globalcicd/acc/credentials_1.3.45.tar",
                                               "vmware/1.0/ovftool.bin"])
        XCTAssertEqual(v.members.map(\.sha256), digests)
        XCTAssertEqual(v.members.map(\.role), [.image, .image, .artifact])

        let file = try XCTUnwrap(m.files?.first)
        XCTAssertEqual(file.fileName, "astra_control_center_min.yaml")
        XCTAssertEqual(try file.decodedContents(), Array(yaml.utf8))

        let listed = try XCTUnwrap(v.entries).map(\.path)
        XCTAssertTrue(listed.contains("package.json"))
        XCTAssertTrue(listed.contains("globalcicd/acc/storage-provider.tar"))
    }

    func testDotSlashMembersAndOtherCompressions() throws {
        let fx = try BundleFixture()
        for flags in ["cf", "cJf", "czf"] {
            let (path, _) = try completeBundle(fx, flags: flags, dotSlash: true)
            XCTAssertTrue(BundleVerifier.isBundle(path: path), flags)
            let v = BundleVerifier.verify(path: path)
            XCTAssertEqual(v.problems, [], flags)
            XCTAssertEqual(v.state, .available, flags)
        }
        // zstd via tar's -I.
        let dir = try fx.stage("zstd")
        try fx.writeManifest(BundleFixture.manifest(), in: dir)
        let out = fx.root + "/zstd.tar.zst"
        try fx.shell("tar -C '\(dir)' -I zstd -cf '\(out)' package.json")
        XCTAssertEqual(BundleVerifier.verify(path: out).state, .available)
    }

    func testMissingImageMakesTheBundleIncomplete() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("no-image")
        let present = try fx.writeRandom(size: 10_000, to: "globalcicd/acc/credentials.tar", in: dir)
        try fx.writeManifest(BundleFixture.manifest(extra: ["images": [
            BundleFixture.image("storage-provider", tag: "1.3.116", digest: BundleFixture.zeroDigest),
            BundleFixture.image("credentials", tag: "1.3.45", digest: try fx.sha256sum(present)),
        ]]), in: dir)
        let v = BundleVerifier.verify(path: try fx.pack(dir, flags: "czf", name: "no-image.tgz"))
        XCTAssertEqual(v.state, .incomplete)
        XCTAssertEqual(v.problems.count, 1)
        XCTAssertEqual(v.problems.first?.field, "images[0]")
        XCTAssertEqual(v.details, [StateDetail(
            type: "missing", title: "Image missing",
            detail: "image storage-provider:1.3.116 expected at globalcicd/acc/storage-provider.tar is missing from the bundle (globalcicd/acc/storage-provider_1.3.116.tar is accepted too)")])
        XCTAssertNil(v.members[0].path)
        XCTAssertEqual(v.members[1].path, "globalcicd/acc/credentials.tar")
    }

    func testMissingArtifactMakesTheBundleIncomplete() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("no-artifact")
        try fx.writeRandom(size: 100, to: "tools/present.bin", in: dir)
        try fx.writeManifest(BundleFixture.manifest(extra: ["artifacts": [
            ["artifactName": "ovftool.bin", "artifactIdentifier": "ovftool", "artifactPath": "/vmware/1.0/"],
            // artifactPath naming the file itself is the accepted second layout.
            ["artifactName": "present.bin", "artifactIdentifier": "p", "artifactPath": "/tools/present.bin"],
        ]]), in: dir)
        let v = BundleVerifier.verify(path: try fx.pack(dir, flags: "cf", name: "no-artifact.tar"))
        XCTAssertEqual(v.state, .incomplete)
        XCTAssertEqual(v.details, [StateDetail(
            type: "missing", title: "Artifact missing",
            detail: "artifact ovftool.bin expected at vmware/1.0/ovftool.bin is missing from the bundle")])
        XCTAssertEqual(v.members[1].path, "tools/present.bin")
    }

    func testImageThatIsADirectoryIsMissing() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("dir-image")
        try fx.write("x", to: "img/app.tar/layer", in: dir)
        try fx.writeManifest(BundleFixture.manifest(extra: ["images": [
            BundleFixture.image("app", tag: "1", path: "/img", digest: BundleFixture.zeroDigest),
        ]]), in: dir)
        let v = BundleVerifier.verify(path: try fx.pack(dir, flags: "cf", name: "dir-image.tar"))
        XCTAssertEqual(v.state, .incomplete)
        XCTAssertEqual(v.problems.first?.detail,
                       "image app:1 expected at img/app.tar is missing from the bundle (img/app_1.tar is accepted too); img/app.tar is a directory, not a file")
    }

    func testDigestMismatchMakesTheBundleCorrupt() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("bad-digest")
        let image = try fx.writeRandom(size: 70_000, to: "globalcicd/acc/storage-provider.tar", in: dir)
        let actual = try fx.sha256sum(image)
        let claimed = "sha256:" + String(repeating: "ab", count: 32)
        try fx.writeManifest(BundleFixture.manifest(extra: ["images": [
            BundleFixture.image("storage-provider", tag: "1.3.116", digest: claimed),
            // A missing image as well: corrupt wins over incomplete.
            BundleFixture.image("credentials", tag: "1.3.45", digest: BundleFixture.zeroDigest),
        ]]), in: dir)
        let v = BundleVerifier.verify(path: try fx.pack(dir, flags: "czf", name: "bad-digest.tgz"))
        XCTAssertEqual(v.state, .corrupt)
        XCTAssertEqual(v.problems.map(\.kind), [.digest, .missing])
        let p = v.problems[0]
        XCTAssertEqual(p.field, "images[0].imageDigest")
        XCTAssertEqual(p.title, "Image digest mismatch")
        XCTAssertTrue(p.detail.contains(claimed), p.detail)
        XCTAssertTrue(p.detail.contains(actual), p.detail)
        XCTAssertTrue(p.detail.hasPrefix("image storage-provider:1.3.116 at globalcicd/acc/storage-provider.tar has \(actual)"), p.detail)
        XCTAssertEqual(v.members[0].sha256, actual)
    }

    func testArtifactDigestMismatchIsCorrupt() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("bad-artifact")
        try fx.write("binary", to: "bin/tool", in: dir)
        try fx.writeManifest(BundleFixture.manifest(extra: ["artifacts": [
            ["artifactName": "tool", "artifactIdentifier": "tool", "artifactPath": "bin",
             "artifactDigest": BundleFixture.zeroDigest],
        ]]), in: dir)
        let v = BundleVerifier.verify(path: try fx.pack(dir, flags: "cf", name: "bad-artifact.tar"))
        XCTAssertEqual(v.state, .corrupt)
        XCTAssertEqual(v.problems.map(\.field), ["artifacts[0].artifactDigest"])
    }

    func testFieldsOutsideTheSeedLimitsMakeTheBundleCorrupt() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("limits")
        try fx.writeRandom(size: 1_000, to: "globalcicd/acc/storage-provider.tar", in: dir)
        let longName = String(repeating: "a", count: 32)
        try fx.writeManifest(BundleFixture.manifest(name: longName, type: "upgrade", extra: [
            "images": [BundleFixture.image("storage-provider", tag: "1.3.116", digest: "sha256:ABC")],
            "dependencies": [["componentName": "openshift", "componentMinVersion": "v4.10.0"]],
        ]), in: dir)
        let path = try fx.pack(dir, flags: "czf", name: "limits.tgz")
        let v = BundleVerifier.verify(path: path)
        XCTAssertEqual(v.state, .corrupt)
        XCTAssertEqual(v.problems.map(\.kind), [.limit, .limit, .limit, .limit])
        XCTAssertEqual(v.problems.map(\.field), ["packageName", "packageType", "images[0].imageDigest",
                                                 "dependencies[0].componentName"])
        XCTAssertEqual(v.details.count, 4)
        XCTAssertEqual(v.details[0].detail,
                       "packageName has 32 characters (\"\(longName)\"); the Astra package schema allows 1 to 31 characters")
        XCTAssertEqual(v.details[1].detail, "packageType is \"upgrade\"; it must be one of \"install\", \"patch\"")
        XCTAssertTrue(v.details[2].detail.contains("^sha256:[0-9a-f]{64}$"))
        XCTAssertEqual(v.details[3].detail,
                       "dependencies[0].componentName is \"openshift\"; it must be one of \"acc\", \"acs\", \"trident\", \"kubernetes\"")
        // The manifest is still there for meta.json.
        XCTAssertEqual(v.manifest?.packageName, longName)
    }

    func testBadBase64InFilesIsCorrupt() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("base64")
        try fx.writeManifest(BundleFixture.manifest(extra: ["files": [
            ["fileName": "a.yaml", "fileIdentifier": "a", "fileMediaType": "application/x-yaml",
             "fileContents": "aGVsbG8*"],
        ]]), in: dir)
        let v = BundleVerifier.verify(path: try fx.pack(dir, flags: "czf", name: "base64.tgz"))
        XCTAssertEqual(v.state, .corrupt)
        XCTAssertEqual(v.problems.map(\.field), ["files[0].fileContents"])
        XCTAssertEqual(v.details.first?.detail,
                       "fileContents of \"a.yaml\" is not valid base64: character '*' at offset 7 is not in the base64 alphabet")
        XCTAssertThrowsError(try v.manifest!.files![0].decodedContents())
    }

    func testMalformedPackageJSONIsCorrupt() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("malformed")
        try fx.write("{\"packageName\": \"acc\", \"packageVersion\": ", to: "package.json", in: dir)
        let path = try fx.pack(dir, flags: "czf", name: "malformed.tgz")
        XCTAssertTrue(BundleVerifier.isBundle(path: path))
        let v = BundleVerifier.verify(path: path)
        XCTAssertEqual(v.state, .corrupt)
        XCTAssertNil(v.manifest)
        XCTAssertEqual(v.problems.map(\.kind), [.manifest])
        let detail = try XCTUnwrap(v.details.first).detail
        XCTAssertEqual(detail, "invalid package.json: not valid JSON: Unexpected end of file during JSON parse.; "
                       + "fix package.json and upload the bundle again")
    }

    func testMissingRequiredFieldIsCorrupt() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("required")
        try fx.write("{\"packageName\": \"acc\", \"packageType\": \"install\"}", to: "package.json", in: dir)
        let v = BundleVerifier.verify(path: try fx.pack(dir, flags: "cf", name: "required.tar"))
        XCTAssertEqual(v.state, .corrupt)
        XCTAssertEqual(v.details.first?.detail,
                       "invalid package.json: required field 'packageVersion' is missing; fix package.json and upload the bundle again")
    }

    func testArchiveWithoutPackageJSONIsNotABundle() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("plain")
        try fx.write("hello", to: "docs/readme.txt", in: dir)
        try fx.write("{}", to: "docs/package.json", in: dir)  // not at the root
        let tgz = try fx.pack(dir, flags: "czf", name: "plain.tgz")
        XCTAssertFalse(BundleVerifier.isBundle(path: tgz))
        let text = try fx.write("not an archive at all\n", to: "notes.txt", in: fx.root)
        XCTAssertFalse(BundleVerifier.isBundle(path: text))
        XCTAssertFalse(BundleVerifier.isBundle(path: fx.root + "/does-not-exist.tar"))
        // Verified anyway, it is corrupt with a reason.
        let v = BundleVerifier.verify(path: tgz)
        XCTAssertEqual(v.state, .corrupt)
        XCTAssertEqual(v.problems.map(\.kind), [.manifest])
        XCTAssertTrue(v.problems[0].detail.contains("no package.json at its root"))
    }

    func testPatchBundleDecodesUpgradableVersionsAndDependencies() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("patch")
        try fx.writeManifest(BundleFixture.manifest(version: "22.09.1", type: "patch", extra: [
            "severityLevel": "critical",
            "upgradableVersions": ["minVersion": "22.04.0", "maxVersion": "22.08.29"],
            "dependencies": [
                ["componentName": "acc", "componentMinVersion": "22.04.29"],
                ["componentName": "kubernetes", "componentMinVersion": "v1.19.7", "componentMaxVersion": "v1.20"],
                ["componentName": "trident", "componentMinVersion": "v21.01.1"],
            ],
        ]), in: dir)
        let v = BundleVerifier.verify(path: try fx.pack(dir, flags: "czf", name: "patch.tgz"))
        XCTAssertEqual(v.problems, [])
        XCTAssertEqual(v.state, .available)
        let m = try XCTUnwrap(v.manifest)
        XCTAssertEqual(m.packageType, "patch")
        XCTAssertEqual(m.severityLevel, "critical")
        XCTAssertEqual(m.upgradableVersions, BundleUpgradableVersions(minVersion: "22.04.0", maxVersion: "22.08.29"))
        XCTAssertEqual(m.dependencies, [
            BundleDependency(componentName: "acc", componentMinVersion: "22.04.29"),
            BundleDependency(componentName: "kubernetes", componentMinVersion: "v1.19.7", componentMaxVersion: "v1.20"),
            BundleDependency(componentName: "trident", componentMinVersion: "v21.01.1"),
        ])
        XCTAssertEqual(BundleVersionRule.package.semVer(m.packageVersion)?.description, "22.9.1")
    }

    func testPathTraversalAndAbsolutePathsAreCorrupt() throws {
        let fx = try BundleFixture()
        let outside = try fx.stage("outside")
        try fx.write("evil", to: "evil.txt", in: outside)
        let dir = try fx.stage("traversal")
        try fx.writeManifest(BundleFixture.manifest(), in: dir)

        let dotdot = fx.root + "/dotdot.tar"
        try fx.shell("cd '\(dir)' && tar -cPf '\(dotdot)' package.json ../outside/evil.txt")
        XCTAssertTrue(BundleVerifier.isBundle(path: dotdot))
        var v = BundleVerifier.verify(path: dotdot)
        XCTAssertEqual(v.state, .corrupt)
        XCTAssertEqual(v.problems.map(\.kind), [.archive])
        XCTAssertTrue(v.problems[0].detail.contains("'..'"), v.problems[0].detail)
        XCTAssertEqual(v.manifest?.packageName, "acc", "the manifest is still read to name the package")
        XCTAssertNil(v.entries)

        let absolute = fx.root + "/absolute.tar"
        try fx.shell("cd '\(dir)' && tar -cPf '\(absolute)' package.json '\(outside)/evil.txt'")
        v = BundleVerifier.verify(path: absolute)
        XCTAssertEqual(v.state, .corrupt)
        XCTAssertTrue(v.problems[0].detail.contains("absolute path"), v.problems[0].detail)
    }

    func testManifestPathsLeavingTheBundleAreLimitViolations() throws {
        let fx = try BundleFixture()
        let dir = try fx.stage("escape")
        try fx.writeManifest(BundleFixture.manifest(extra: [
            "images": [BundleFixture.image("x", tag: "1", path: "/a/../../etc", digest: BundleFixture.zeroDigest)],
            "artifacts": [["artifactName": "passwd", "artifactIdentifier": "p", "artifactPath": "../etc/"]],
        ]), in: dir)
        let v = BundleVerifier.verify(path: try fx.pack(dir, flags: "cf", name: "escape.tar"))
        XCTAssertEqual(v.state, .corrupt)
        XCTAssertEqual(v.problems.map(\.field), ["images[0]", "artifacts[0]"])
        XCTAssertEqual(v.members.map(\.candidates), [[], []])
    }

    func testTruncatedBundleIsCorrupt() throws {
        let fx = try BundleFixture()
        let (path, _) = try completeBundle(fx, flags: "cf")
        let cut = fx.root + "/cut.tar"
        try fx.shell("head -c 200000 '\(path)' > '\(cut)'")
        let v = BundleVerifier.verify(path: cut)
        XCTAssertEqual(v.state, .corrupt)
        XCTAssertFalse(v.problems.isEmpty)
    }
}
