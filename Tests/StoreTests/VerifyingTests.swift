import Foundation
import PkgfsModel
@testable import PkgfsStore
import XCTest

/// SPEC §5 `verifying`: a bundle is registered as `verifying` first, then the same row gets its
/// final state; what a crash leaves `verifying` is finished when the store is opened again.
final class VerifyingTests: XCTestCase {
    var root: String!
    var work: String!

    override func setUpWithError() throws {
        let base = NSTemporaryDirectory() + "pkgfs-verifying-test-" + UUID().uuidString.prefix(8)
        root = base + "/store"
        work = base + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent)
    }

    /// A bundle `<name>-<version>.tar` with one image; `dropImage` leaves the image out of the
    /// tar (incomplete), `manifest` replaces package.json's text.
    func bundle(_ name: String, _ version: String, dropImage: Bool = false, manifest: String? = nil) throws -> [UInt8] {
        let dir = work + "/" + name + "-" + version
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
        let image = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(image).write(to: URL(fileURLWithPath: dir + "/images/app.tar"))
        let digest = try sha256(dir + "/images/app.tar")
        let json = manifest ?? """
            {"packageName": "\(name)", "packageVersion": "\(version)", "packageType": "install",
             "images": [{"imagePath": "/images", "imageName": "app", "imageTag": "\(version)",
                         "imageDigest": "sha256:\(digest)"}]}
            """
        try Data(json.utf8).write(to: URL(fileURLWithPath: dir + "/package.json"))
        let out = dir + ".tar"
        XCTAssertEqual(Self.sh("tar cf '\(out)' -C '\(dir)' package.json \(dropImage ? "" : "images")"), 0)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
    }

    func sha256(_ path: String) throws -> String {
        let pipe = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        process.standardOutput = pipe
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: out, as: UTF8.self).prefix(64))
    }

    func session(_ repo: Repository, _ fileName: String, _ bytes: [UInt8]) throws -> UploadSession {
        let session = try repo.beginUpload(fileName: fileName, uploader: "tester")
        _ = try bytes.withUnsafeBytes { try session.write(at: 0, $0) }
        return session
    }

    func testABundleIsVerifyingInTheCatalogThenFinishedInTheSameRow() throws {
        let repo = try Repository(root: root)
        // Built once: a tar made again a second later has other mtimes, so other bytes.
        let bytes = try bundle("acc", "1.2.3")
        let upload = try session(repo, "acc-1.2.3.tar", bytes)
        var during: Package?
        var receiptDuring: Bool?
        var payloadDuring: Int?
        let outcome = try repo.finishUpload(upload, registeredAsVerifying: { first in
            during = try? repo.catalog.package(id: first.package.id)
            receiptDuring = (try? repo.catalog.receipt(fileName: "acc-1.2.3.tar")) != nil
            payloadDuring = try? repo.catalog.payloadEntryCount(packageID: first.package.id)
        })
        let seen = try XCTUnwrap(during, "the hook ran and the row was in the catalog")
        XCTAssertEqual(seen.state, .verifying)
        XCTAssertEqual(seen.stateDetails, [])
        XCTAssertEqual(seen.name, "acc")
        XCTAssertEqual(seen.version, "1.2.3")
        XCTAssertEqual(seen.format, .bundle)
        XCTAssertEqual(receiptDuring, true)
        XCTAssertEqual(payloadDuring, 0, "the listing comes with the final state")
        XCTAssertTrue(repo.blobs.contains(sha256: seen.sha256), "the blob is durable before verifying shows")

        guard case .registered(let final) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(final.state, .available, "\(final.stateDetails)")
        XCTAssertEqual(final.id, seen.id)
        XCTAssertEqual(final.uuid, seen.uuid)
        XCTAssertGreaterThan(final.modifiedAt, seen.modifiedAt)
        XCTAssertEqual(try repo.catalog.package(id: final.id)?.state, .available)
        XCTAssertEqual(try repo.catalog.summary(id: final.id)?.location, try repo.catalog.summary(id: seen.id)?.location)
        XCTAssertGreaterThan(try repo.catalog.payloadEntryCount(packageID: final.id), 0)
        XCTAssertEqual(try repo.catalog.packageCount(), 1)

        // Same bytes again: nothing to verify, no verifying step.
        var hooked = false
        let again = try repo.finishUpload(try session(repo, "acc-1.2.3.tar", bytes),
                                          registeredAsVerifying: { _ in hooked = true })
        guard case .alreadyPresent = again else { return XCTFail("\(again)") }
        XCTAssertFalse(hooked)
    }

    func testAnIncompleteBundleAlsoPassesThroughVerifying() throws {
        let repo = try Repository(root: root)
        var states: [PackageState] = []
        let outcome = try repo.finishUpload(try session(repo, "acs-2.0.0.tar", try bundle("acs", "2.0.0", dropImage: true)),
                                            registeredAsVerifying: { states.append($0.package.state) })
        XCTAssertEqual(states, [.verifying])
        XCTAssertEqual(outcome.package.state, .incomplete)
        XCTAssertEqual(outcome.package.stateDetails.count, 1, "\(outcome.package.stateDetails)")
        XCTAssertEqual(try repo.catalog.package(id: outcome.package.id)?.stateDetails, outcome.package.stateDetails)
    }

    func testABundleThatCannotBeIdentifiedIsRegisteredInOneStep() throws {
        let repo = try Repository(root: root)
        var hooked = false
        let outcome = try repo.finishUpload(try session(repo, "broken-1.0.0.tar", try bundle("broken", "1.0.0", manifest: "{not json")),
                                            registeredAsVerifying: { _ in hooked = true })
        XCTAssertFalse(hooked)
        XCTAssertEqual(outcome.package.state, .corrupt)
        XCTAssertEqual(outcome.package.format, .bundle)
    }

    /// The row stays where the first look filed it; a second root package.json that names
    /// another package makes the bundle corrupt, with a detail that says so.
    func testTwoPackageJSONsNamingDifferentPackagesAreCorruptWhereTheFirstFiledIt() throws {
        let repo = try Repository(root: root)
        _ = try bundle("first", "1.0.0")
        let dir = work + "/first-1.0.0"
        let second = work + "/second"
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        try Data(#"{"packageName": "other", "packageVersion": "9.9.9", "packageType": "install"}"#.utf8)
            .write(to: URL(fileURLWithPath: second + "/package.json"))
        XCTAssertEqual(Self.sh("tar rf '\(dir).tar' -C '\(second)' package.json"), 0)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + ".tar")))
        var during: Package?
        let outcome = try repo.finishUpload(try session(repo, "first-1.0.0.tar", bytes),
                                            registeredAsVerifying: { during = $0.package })
        XCTAssertEqual(during?.name, "first")
        let final = outcome.package
        XCTAssertEqual(final.state, .corrupt)
        XCTAssertEqual(final.id, during?.id)
        XCTAssertEqual(final.name, "first")
        XCTAssertEqual(final.version, "1.0.0")
        XCTAssertEqual(final.stateDetails.map(\.title), ["package.json is ambiguous"])
        XCTAssertTrue(final.formatDetailsJSON?.contains(#""packageName":"first""#) ?? false, final.formatDetailsJSON ?? "nil")
        XCTAssertEqual(try repo.catalog.package(id: final.id)?.state, .corrupt)
    }

    func testABundleDeletedWhileVerifyingIsNotResurrected() throws {
        let repo = try Repository(root: root)
        let upload = try session(repo, "gone-1.0.0.tar", try bundle("gone", "1.0.0"))
        XCTAssertThrowsError(try repo.finishUpload(upload, registeredAsVerifying: { first in
            do { _ = try repo.delete(id: first.package.id) } catch { XCTFail("\(error)") }
        })) { error in
            guard case StoreError.notFound = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try repo.catalog.packageCount(), 0)
        XCTAssertEqual(repo.blobs.allDigests(), [])
    }

    /// The first look tells a bundle, a tar that holds no package.json (so `analyze` skips its
    /// own look, which for a compressed tar reads the whole file), and everything else apart.
    func testFirstLookTellsBundlesPlainTarsAndTheRestApart() throws {
        let analyzer = PackageAnalyzer()
        let bundlePath = work + "/b.tar"
        try Data(try bundle("look", "1.0.0")).write(to: URL(fileURLWithPath: bundlePath))
        guard case .bundle(let filed) = analyzer.firstLook(path: bundlePath, fileName: "look-1.0.0.tar", size: 1) else {
            return XCTFail("a bundle is one")
        }
        XCTAssertEqual(filed.name, "look")

        let plain = work + "/plain-1.0-1.el9.x86_64.tar.gz"
        XCTAssertEqual(Self.sh("tar czf '\(plain)' -C /etc hostname passwd"), 0)
        let look = analyzer.firstLook(path: plain, fileName: "plain-1.0-1.el9.x86_64.tar.gz", size: 1)
        XCTAssertTrue(look.isNotBundle, "\(look)")
        XCTAssertEqual(look.listing?.map(\.path).sorted(), ["hostname", "passwd"], "the look lists a plain tar")
        // analyze takes that listing and does not read the tar again: here it holds other members by now.
        XCTAssertEqual(Self.sh("tar czf '\(plain)' -C /etc hostname"), 0)
        let analysis = analyzer.analyze(path: plain, fileName: "plain-1.0-1.el9.x86_64.tar.gz", size: 1,
                                        after: look)
        XCTAssertEqual(analysis.format, .archive)
        XCTAssertEqual(analysis.payload?.map(\.path).sorted(), ["hostname", "passwd"])
        XCTAssertTrue(analysis.problems.isEmpty, "\(analysis.problems)")
        XCTAssertEqual(analyzer.analyze(path: plain, fileName: "plain-1.0-1.el9.x86_64.tar.gz", size: 1,
                                        after: .notBundle(listing: nil)).payload?.map(\.path), ["hostname"], "without one it lists")

        // A tar that cannot be listed (a member escapes with ..) is still a bundle if a root
        // package.json follows; without one, analyze lists it and says why it cannot.
        let tree = work + "/hostile"
        XCTAssertEqual(Self.sh("mkdir -p '\(tree)/a' && echo x > '\(tree)/a/x' && cp '\(bundlePath)' '\(tree)/b.tar' && tar xf '\(tree)/b.tar' -C '\(tree)' package.json"), 0)
        let escaping = work + "/escaping-1.0.tar"
        XCTAssertEqual(Self.sh("cd '\(tree)/a' && tar cf '\(escaping)' --absolute-names ../a/x -C .. package.json"), 0)
        guard case .bundle = analyzer.firstLook(path: escaping, fileName: "escaping-1.0.tar", size: 1) else {
            return XCTFail("package.json after an unlistable member still makes a bundle")
        }
        let escapingPlain = work + "/escaping-plain-1.0.tar"
        XCTAssertEqual(Self.sh("cd '\(tree)/a' && tar cf '\(escapingPlain)' --absolute-names ../a/x"), 0)
        let unlistable = analyzer.firstLook(path: escapingPlain, fileName: "escaping-plain-1.0.tar", size: 1)
        XCTAssertTrue(unlistable.isNotBundle && unlistable.listing == nil, "\(unlistable)")
        let refused = analyzer.analyze(path: escapingPlain, fileName: "escaping-plain-1.0.tar", size: 1, after: unlistable)
        XCTAssertNil(refused.payload)
        XCTAssertTrue(refused.problems.contains { "\($0)".contains("..") }, "\(refused.problems)")

        let text = work + "/notes-1.0-1.el9.x86_64.txt"
        try Data("just text".utf8).write(to: URL(fileURLWithPath: text))
        guard case .undecided = analyzer.firstLook(path: text, fileName: "notes-1.0-1.el9.x86_64.txt", size: 9) else {
            return XCTFail("a plain file is left to analyze")
        }
    }

    func testVerifyingLeftByACrashIsFinishedWhenTheStoreIsOpened() throws {
        let registered: Package
        do {
            let repo = try Repository(root: root)
            let upload = try session(repo, "trident-22.4.0.tar", try bundle("trident", "22.4.0"))
            // The first step only, as if the daemon died before the second transaction.
            let sealed = try upload.seal()
            guard case .bundle(let identified) = repo.analyzer.firstLook(path: sealed.temporaryPath, fileName: upload.fileName,
                                                                         size: sealed.size) else {
                return XCTFail("a bundle is identified as one")
            }
            let first = try repo.registerForVerification(upload, sealed, identified)
            registered = first.package
            XCTAssertEqual(try repo.catalog.package(id: registered.id)?.state, .verifying)
            XCTAssertThrowsError(try repo.transition(id: registered.id, to: .corrupt, by: "tester")) { error in
                guard case StoreError.invalid = error else { return XCTFail("\(error)") }
            }
            repo.releaseLock()
        }
        let reopened = try Repository(root: root)
        let final = try XCTUnwrap(try reopened.catalog.package(id: registered.id))
        XCTAssertEqual(final.state, .available, "\(final.stateDetails)")
        XCTAssertEqual(final.uuid, registered.uuid)
        XCTAssertGreaterThan(try reopened.catalog.payloadEntryCount(packageID: final.id), 0)
        XCTAssertEqual(try reopened.catalog.packageCount(), 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: reopened.layout.temporaryDirectory), [])
    }

    static func sh(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
