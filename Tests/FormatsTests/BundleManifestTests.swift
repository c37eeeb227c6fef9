import Foundation
import PkgfsModel
import XCTest
@testable import PkgfsFormats

/// `package.json` decoding, the seed's limits, the version rules and base64, without
/// archives.
final class BundleManifestTests: XCTestCase {
    /// The response example of the Astra seed (004_5e7ba9f87af49984.txt), verbatim.
    static let seedExample = #"""
{
  "type": "application/astra-package",
  "version": "1.0",
  "id": "54edc2b3-18c5-5371-904b-ebcd04d88bdc",
  "packageName": "acc",
  "packageVersion": "22.09.1",
  "packageType": "patch",
  "packageState": "available",
  "packageStateTransitions": [
    {
      "from": "verifying",
      "to": [
        "corrupt",
        "incomplete",
        "available"
      ]
    },
    {
      "from": "corrupt",
      "to": [
        "incomplete",
        "available"
      ]
    },
    {
      "from": "incomplete",
      "to": [
        "corrupt",
        "available"
      ]
    },
    {
      "from": "available",
      "to": [
        "corrupt",
        "available"
      ]
    }
  ],
  "packageStateDetails": [],
  "severityLevel": "recommended",
  "images": [
    {
      "imagePath": "/globalcicd/acc",
      "imageName": "storage-provider",
      "imageTag": "1.3.116",
      "imageDigest": "sha256:2e04d178815537b0ad8c3224e8754e33642da781a161f1be239853dae33deafc"
    },
    {
      "imagePath": "/globalcicd/acc",
      "imageName": "storage-backend-metrics",
      "imageTag": "1.3.45",
      "imageDigest": "sha256:2e04d178815537b0ad8c3224e8754e33642da781a161f1be239853dae33deafc"
    },
    {
      "imagePath": "/globalcicd/acc",
      "imageName": "credentials",
      "imageTag": "1.3.45",
      "imageDigest": "sha256:2e04d178815537b0ad8c3224e8754e33642da781a161f1be239853dae33deafc"
    }
  ],
  "files": [
    {
      "fileName": "astra_control_center_min.yaml",
      "fileIdentifier": "astra_min",
      "fileMediaType": "application/x-yaml",
      "fileContents": "VGhpcyBpcyBzdXBwb3NlZCB0byBiZSBhIGNvbXByZXNzZWQgZmlsZSBjb250ZW50"
    }
  ],
  "dependencies": [
    {
      "componentName": "acc",
      "componentMinVersion": "22.04.29"
    },
    {
      "componentName": "kubernetes",
      "componentMinVersion": "v1.19.7",
      "componentMaxVersion": "v1.20"
    },
    {
      "componentName": "trident",
      "componentMinVersion": "v21.01.1"
    }
  ],
  "metadata": {
    "labels": [],
    "creationTimestamp": "2022-10-06T20:58:16.305662Z",
    "modificationTimestamp": "2022-10-06T20:58:16.305662Z",
    "createdBy": "8f84cf09-8036-51e4-b579-bd30cb07b269"
  }
}
"""#

    private func decode(_ json: String) throws -> BundleManifest {
        try BundleManifest.decode(Array(json.utf8))
    }

    private func reason(_ json: String) -> String? {
        do {
            _ = try decode(json)
            return nil
        } catch let FormatError.invalid(format, reason) {
            XCTAssertEqual(format, "package.json")
            return reason
        } catch {
            return "unexpected \(error)"
        }
    }

    func testDecodesTheSeedExampleAndItPassesTheLimits() throws {
        let m = try decode(Self.seedExample)
        XCTAssertEqual(m.id, "54edc2b3-18c5-5371-904b-ebcd04d88bdc")
        XCTAssertEqual(m.packageName, "acc")
        XCTAssertEqual(m.packageVersion, "22.09.1")
        XCTAssertEqual(m.packageType, "patch")
        XCTAssertEqual(m.severityLevel, "recommended")
        XCTAssertNil(m.bundleName)
        XCTAssertEqual(m.images?.map(\.reference),
                       ["storage-provider:1.3.116", "storage-backend-metrics:1.3.45", "credentials:1.3.45"])
        XCTAssertEqual(m.images?.first?.imagePath, "/globalcicd/acc")
        XCTAssertEqual(m.files?.first?.fileIdentifier, "astra_min")
        XCTAssertEqual(String(decoding: try XCTUnwrap(m.files?.first).decodedContents(), as: UTF8.self),
                       "This is supposed to be a compressed file content")
        XCTAssertEqual(m.dependencies?.count, 3)
        XCTAssertEqual(m.dependencies?[1].componentMaxVersion, "v1.20")
        XCTAssertEqual(BundleFieldLimits.check(m), [])
        XCTAssertEqual(BundleLayout.primaryImagePath(try XCTUnwrap(m.images?.first)),
                       "globalcicd/acc/storage-provider.tar")
    }

    func testSeverityDefaultsAndRoundTrip() throws {
        let m = try decode(#"{"packageName":"acs","packageVersion":"1.0.0","packageType":"install","extra":{"x":1}}"#)
        XCTAssertEqual(m.severityLevel, "recommended")
        XCTAssertNil(m.images)
        let again = try BundleManifest.decode([UInt8](JSONEncoder().encode(m)))
        XCTAssertEqual(again, m)
    }

    func testMalformedManifestsGivePreciseReasons() {
        XCTAssertEqual(reason("[1,2]")?.hasPrefix("the top level must be a JSON object"), true)
        XCTAssertEqual(reason(""), "not valid JSON: Unexpected end of file during JSON parse.")
        XCTAssertEqual(reason("{\"packageName\": }"),
                       "not valid JSON: Invalid value around character 16. (line 1, column 17)")
        XCTAssertEqual(reason("{\n  \"packageName\": \"acc\",\n  \"packageType\": tru\n}"),
                       "not valid JSON: Invalid value around character 46. (line 3, column 21)")
        XCTAssertEqual(reason(#"{"packageVersion":"1.0.0","packageType":"install"}"#),
                       "required field 'packageName' is missing")
        XCTAssertEqual(reason(#"{"packageName":null,"packageVersion":"1.0.0","packageType":"install"}"#),
                       "field 'packageName' is null but must be a string")
        let wrongType = reason(#"""
            {"packageName":"acc","packageVersion":"1.0.0","packageType":"install",
             "images":[{"imagePath":"/a","imageName":7,"imageTag":"1","imageDigest":"x"}]}
            """#)
        XCTAssertEqual(wrongType?.hasPrefix("field 'images[0].imageName' must be a string"), true, wrongType ?? "")
        let missingInner = reason(#"""
            {"packageName":"acc","packageVersion":"1.0.0","packageType":"install",
             "files":[{"fileName":"a","fileIdentifier":"a","fileMediaType":"text/plain"}]}
            """#)
        XCTAssertEqual(missingInner, "required field 'files[0].fileContents' is missing")
        XCTAssertEqual(reason(#"{"packageName":"acc","packageVersion":"1.0.0","packageType":"install","images":{}}"#)?
            .hasPrefix("field 'images' must be an array"), true)
    }

    func testPackageVersionRule() {
        let rule = BundleVersionRule.package
        XCTAssertEqual(rule.semVer("1.2.3")?.description, "1.2.3")
        XCTAssertEqual(rule.semVer("22.09.1")?.description, "22.9.1")
        XCTAssertEqual(rule.semVer("22.09.1"), rule.semVer("22.9.1"))
        XCTAssertEqual(rule.semVer("1.0.0-rc.1+build.5")?.description, "1.0.0-rc.1+build.5")
        XCTAssertEqual(rule.semVer("01.00.000-beta")?.description, "1.0.0-beta")
        for bad in ["v1.2.3", "1.2", "1", "1.2.3.4", "1.0.0-01", "1..2", "", "latest", "1.2.3-", "1.2.x", " 1.2.3"] {
            XCTAssertNil(rule.semVer(bad), bad)
        }
    }

    func testComponentVersionRule() {
        let rule = BundleVersionRule.component
        XCTAssertEqual(rule.semVer("v1.19.7")?.description, "1.19.7")
        XCTAssertEqual(rule.semVer("v1.20")?.description, "1.20.0")
        XCTAssertEqual(rule.semVer("V2.0.0")?.description, "2.0.0")
        XCTAssertEqual(rule.semVer("22.04.29")?.description, "22.4.29")
        XCTAssertEqual(rule.semVer("v21.01.1-rc.1")?.description, "21.1.1-rc.1")
        for bad in ["1", "v1", "vv1.2", "v1.2.3.4", "1.20-01", "v"] {
            XCTAssertNil(rule.semVer(bad), bad)
        }
        XCTAssertLessThan(rule.semVer("v1.19.7")!, rule.semVer("v1.20")!)
    }

    func testBase64() throws {
        XCTAssertEqual(try BundleBase64.decode(""), [])
        XCTAssertEqual(try BundleBase64.decode("aGVsbG8="), Array("hello".utf8))
        XCTAssertEqual(try BundleBase64.decode("aGVs\nbG8h\r\n"), Array("hello!".utf8))
        XCTAssertEqual(try BundleBase64.decode("aGk="), Array("hi".utf8))
        XCTAssertEqual(try BundleBase64.decode("aA=="), Array("h".utf8))
        XCTAssertEqual(try BundleBase64.decode("+/+/"), [0xFB, 0xFF, 0xBF])
        let cases: [(String, String)] = [
            ("aGVsbG8", "its 7 base64 characters are not a multiple of 4 (missing '=' padding?)"),
            ("aGV-bG8=", "character '-' at offset 3 is not in the base64 alphabet"),
            ("aGk=aGk=", "data continues after '=' padding, at offset 4"),
            ("a===", "'=' at offset 1 is not in the last two places of a 4-character group"),
            ("aG=k", "character 'k' at offset 3 follows '=' padding"),
            ("aGé=", "character byte 0xC3 at offset 2 is not in the base64 alphabet"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try BundleBase64.decode(text), text) { error in
                XCTAssertEqual((error as? BundleBase64.Failure)?.description, message, text)
            }
        }
        let file = BundleFile(fileName: "x", fileIdentifier: "x", fileMediaType: "text/plain", fileContents: "!!")
        XCTAssertThrowsError(try file.decodedContents()) { error in
            XCTAssertEqual(error as? FormatError, .invalid(
                format: "package.json",
                reason: "fileContents of 'x' is not base64: character '!' at offset 0 is not in the base64 alphabet"))
        }
    }

    private func manifest(_ edit: (inout BundleManifest) -> Void) -> [BundleProblem] {
        var m = BundleManifest(packageName: "acc", packageVersion: "1.0.0", packageType: "install")
        edit(&m)
        return BundleFieldLimits.check(m)
    }

    private func image(name: String = "app", tag: String = "1.0", path: String = "/p",
                       digest: String = "sha256:" + String(repeating: "a", count: 64)) -> BundleImage {
        BundleImage(imagePath: path, imageName: name, imageTag: tag, imageDigest: digest)
    }

    func testLengthBoundaries() {
        XCTAssertEqual(manifest { $0.packageName = String(repeating: "n", count: 31) }, [])
        XCTAssertEqual(manifest { $0.packageName = String(repeating: "n", count: 32) }.map(\.field), ["packageName"])
        XCTAssertEqual(manifest { $0.packageName = "" }.map(\.detail),
                       ["packageName is empty; the Astra package schema allows 1 to 31 characters"])
        // Characters, not bytes.
        XCTAssertEqual(manifest { $0.packageName = String(repeating: "é", count: 31) }, [])

        XCTAssertEqual(manifest { $0.images = [self.image(name: String(repeating: "i", count: 63),
                                                          tag: String(repeating: "t", count: 31),
                                                          path: "/" + String(repeating: "p", count: 1022))] }, [])
        XCTAssertEqual(manifest { $0.images = [self.image(name: String(repeating: "i", count: 64),
                                                          tag: String(repeating: "t", count: 32),
                                                          path: "/" + String(repeating: "p", count: 1023))] }.map(\.field),
                       ["images[0].imagePath", "images[0].imageName", "images[0].imageTag"])
        XCTAssertEqual(manifest {
            $0.images = [BundleImage(imagePath: "/p", imageName: "a", imageTag: "1",
                                     imageDigest: "sha256:" + String(repeating: "a", count: 64),
                                     dependsOnImages: [BundleImageReference(imagePath: "", imageName: "b", imageTag: "1")])]
        }.map(\.field), ["images[0].dependsOnImages[0].imagePath"])

        let file = { (name: String) in
            BundleFile(fileName: name, fileIdentifier: "id", fileMediaType: "text/plain", fileContents: "")
        }
        XCTAssertEqual(manifest { $0.files = [file(String(repeating: "f", count: 63))] }, [])
        XCTAssertEqual(manifest { $0.files = [file(String(repeating: "f", count: 64))] }.map(\.field),
                       ["files[0].fileName"])
        XCTAssertEqual(manifest { $0.files = [file("a/b"), file(".."), file("x"), file("x")] }.map(\.field),
                       ["files[0].fileName", "files[1].fileName", "files[3].fileName"])

        XCTAssertEqual(manifest {
            $0.artifacts = [BundleArtifact(artifactName: String(repeating: "a", count: 64),
                                           artifactIdentifier: String(repeating: "i", count: 512),
                                           artifactPath: "/x", artifactVersion: "1.0")]
        }.map(\.field), ["artifacts[0].artifactName", "artifacts[0].artifactIdentifier",
                         "artifacts[0].artifactVersion"])
    }

    func testEnumerationsPatternsAndVersions() {
        XCTAssertEqual(manifest { $0.packageType = "patch"; $0.severityLevel = "critical" }, [])
        XCTAssertEqual(manifest { $0.severityLevel = "urgent" }.map(\.field), ["severityLevel"])
        XCTAssertEqual(manifest { $0.packageVersion = "v1.0.0" }.map(\.detail), [
            "packageVersion is \"v1.0.0\"; it must be \(BundleVersionRule.package.summary)"])
        for bad in ["sha256:" + String(repeating: "A", count: 64), "sha256:" + String(repeating: "a", count: 63),
                    "sha512:" + String(repeating: "a", count: 64), String(repeating: "a", count: 64)] {
            XCTAssertEqual(manifest { $0.images = [self.image(digest: bad)] }.map(\.field),
                           ["images[0].imageDigest"], bad)
        }
        XCTAssertEqual(manifest { $0.id = "54EDC2B3-18C5-5371-904B-EBCD04D88BDC" }, [])
        XCTAssertEqual(manifest { $0.id = "not-a-uuid" }.map(\.field), ["id"])
        XCTAssertEqual(manifest {
            $0.dependencies = [BundleDependency(componentName: "kubernetes", componentMinVersion: "v1.21",
                                                componentMaxVersion: "v1.20"),
                               BundleDependency(componentName: "acs", componentMinVersion: "one")]
        }.map(\.field), ["dependencies[0].componentMaxVersion", "dependencies[1].componentMinVersion"])
        XCTAssertEqual(manifest {
            $0.upgradableVersions = BundleUpgradableVersions(minVersion: "22.04.0", maxVersion: "v22.08.0")
        }.map(\.field), ["upgradableVersions.maxVersion"])
        XCTAssertEqual(manifest {
            $0.artifacts = [BundleArtifact(artifactName: "a", artifactIdentifier: "a", artifactPath: "/",
                                           dependsOnComponents: [BundleComponentRequirement(
                                               componentName: "helm", version: ["v1.2.3", "x"])])]
        }.map(\.field), ["artifacts[0].dependsOnComponents[0].componentName",
                         "artifacts[0].dependsOnComponents[0].version[1]"])
    }

    func testLayoutCandidates() {
        XCTAssertEqual(BundleLayout.imageCandidates(image(name: "storage-provider", tag: "1.3.116", path: "/globalcicd/acc")),
                       ["globalcicd/acc/storage-provider_1.3.116.tar", "globalcicd/acc/storage-provider.tar"])
        XCTAssertEqual(BundleLayout.imageCandidates(image(name: "a", tag: "1", path: "./x//y/")), ["x/y/a_1.tar", "x/y/a.tar"])
        XCTAssertEqual(BundleLayout.imageCandidates(image(name: "a", tag: "1", path: "/")), ["a_1.tar", "a.tar"])
        XCTAssertEqual(BundleLayout.imageCandidates(image(name: "a", tag: "../../1", path: "/x")), [])
        let artifact = { (path: String) in
            BundleLayout.artifactCandidates(BundleArtifact(artifactName: "tool.bin", artifactIdentifier: "t", artifactPath: path))
        }
        XCTAssertEqual(artifact("/vmware/1.0/"), ["vmware/1.0/tool.bin"])
        XCTAssertEqual(artifact("/vmware/1.0"), ["vmware/1.0/tool.bin", "vmware/1.0"])
        XCTAssertEqual(artifact("/bin/tool.bin"), ["bin/tool.bin/tool.bin", "bin/tool.bin"])
        XCTAssertEqual(artifact("/"), ["tool.bin"])
        XCTAssertEqual(artifact("/../x"), [])
    }

    func testStateFollowsTheProblems() {
        let missing = BundleProblem(kind: .missing, title: "t", detail: "d")
        let digest = BundleProblem(kind: .digest, title: "t", detail: "d")
        XCTAssertEqual(BundleVerification().state, .available)
        XCTAssertEqual(BundleVerification(problems: [missing, missing]).state, .incomplete)
        XCTAssertEqual(BundleVerification(problems: [missing, digest]).state, .corrupt)
        for kind in BundleProblem.Kind.allCases where kind != .missing {
            XCTAssertEqual(BundleVerification(problems: [BundleProblem(kind: kind, title: "t", detail: "d")]).state,
                           .corrupt, kind.rawValue)
        }
        XCTAssertEqual(BundleVerification(problems: [digest]).details,
                       [StateDetail(type: "digest", title: "t", detail: "d")])
    }
}
