import Crypto
import Foundation
import PkgfsFormats
import PkgfsModel
@testable import PkgfsStore
import TestSupport
import XCTest

/// The store without a mount: uploads, deduplication, conflicts, deletes, recovery.
final class RepositoryTests: TemporaryRootTestCase {
    func upload(_ repo: Repository, _ name: String, _ bytes: [UInt8], chunks: [Range<Int>]? = nil) throws -> RegistrationOutcome {
        let session = try repo.beginUpload(fileName: name, uploader: "tester")
        for range in chunks ?? [0..<bytes.count] {
            _ = try bytes[range].withUnsafeBytes { try session.write(at: Int64(range.lowerBound), $0) }
        }
        return try repo.finishUpload(session)
    }

    func bytesOf(_ hexSeed: UInt8, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(hexSeed)) }
    }

    func testDigestsMatchWhateverTheWriteOrder() throws {
        let repo = try Repository(root: root)
        let bytes = bytesOf(1, count: 300_000)
        let inOrder = try upload(repo, "a-1.0.bin", bytes).package
        // Out of order: last chunk first, then the rest.
        let shuffled = try upload(repo, "b-1.0.bin", bytes, chunks: [200_000..<300_000, 0..<100_000, 100_000..<200_000]).package
        XCTAssertEqual(inOrder.sha256, shuffled.sha256)
        XCTAssertEqual(inOrder.sha1, shuffled.sha1)
        XCTAssertEqual(inOrder.size, 300_000)
        XCTAssertEqual(try repo.sha256OfFile(repo.blobPath(of: inOrder)), inOrder.sha256)
        XCTAssertEqual(repo.blobs.allDigests(), [inOrder.sha256], "same bytes stored once")
    }

    /// A plain file's bytes past `UploadSession.directFrom` bypass the page cache (`DirectWriter`);
    /// whatever the writes, the blob holds exactly the bytes sent: odd sizes across that point,
    /// a rewrite of earlier bytes and a truncate while direct writes are under way.
    func testBytesPastTheDirectPointAreStoredWhateverTheWrites() throws {
        let repo = try Repository(root: root)
        let count = Int(UploadSession.directFrom) + (2 << 20) + 4567
        func check(_ seed: UInt8, _ name: String, _ writes: (UploadSession, [UInt8]) throws -> Void) throws {
            let bytes = bytesOf(seed, count: count)
            let session = try repo.beginUpload(fileName: name, uploader: "tester")
            try writes(session, bytes)
            let package = try repo.finishUpload(session).package
            XCTAssertEqual(package.state, .available, name)
            XCTAssertEqual(package.size, Int64(count), name)
            XCTAssertEqual(package.sha256, Hex.string(SHA256.hash(data: bytes)), name)
            let stored = try XCTUnwrap(FileManager.default.contents(atPath: repo.blobPath(of: package)), name)
            XCTAssertTrue(stored.elementsEqual(bytes), "\(name): the blob differs from the bytes sent")
        }
        func write(_ session: UploadSession, _ bytes: [UInt8], _ range: Range<Int>, step: Int) throws {
            for start in stride(from: range.lowerBound, to: range.upperBound, by: step) {
                let chunk = start..<min(start + step, range.upperBound)
                _ = try bytes[chunk].withUnsafeBytes { try session.write(at: Int64(start), $0) }
            }
        }
        let past = Int(UploadSession.directFrom) + (1 << 20) + 5
        try check(11, "odd-1.0.bin") { session, bytes in try write(session, bytes, 0..<count, step: 300_001) }
        try check(12, "rewritten-1.0.bin") { session, bytes in
            try write(session, bytes, 0..<past, step: 1 << 20)
            XCTAssertTrue(session.writesDirect, "a plain file past directFrom")
            try write(session, bytes, 4096..<8192, step: 4096)
            XCTAssertFalse(session.writesDirect, "back to the page cache once bytes come out of order")
            try write(session, bytes, past..<count, step: 1 << 20)
        }
        try check(13, "truncated-1.0.bin") { session, bytes in
            try write(session, bytes, 0..<past, step: 65_536)
            XCTAssertTrue(session.writesDirect)
            try session.truncate(to: Int64(past - 70_000))
            try write(session, bytes, (past - 70_000)..<count, step: 65_536)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp"), [])

        // An RPM, a tar, a compressed file: their analysis reads the bytes back, from the cache.
        let session = try repo.beginUpload(fileName: "archive-1.0.tar.gz", uploader: "tester")
        var gzip = bytesOf(14, count: count)
        gzip[0] = 0x1F; gzip[1] = 0x8B
        try write(session, gzip, 0..<count, step: 1 << 20)
        XCTAssertFalse(session.writesDirect, "content that is parsed stays in the page cache")
        _ = try repo.finishUpload(session)
    }

    func testSameNameSameBytesIsIdempotentOtherBytesConflict() throws {
        let repo = try Repository(root: root)
        let first = try upload(repo, "c-1.0.bin", bytesOf(2, count: 1000))
        guard case .registered = first else { return XCTFail("\(first)") }
        let again = try upload(repo, "c-1.0.bin", bytesOf(2, count: 1000))
        guard case .alreadyPresent(let p) = again else { return XCTFail("\(again)") }
        XCTAssertEqual(p.id, first.package.id)
        XCTAssertThrowsError(try upload(repo, "c-1.0.bin", bytesOf(3, count: 1000))) { error in
            guard case StoreError.conflict(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains(first.package.sha256), "names the existing digest: \(message)")
        }
        XCTAssertEqual(try repo.catalog.packageCount(), 1)
        XCTAssertEqual(repo.blobs.allDigests().count, 1, "the refused bytes are not kept")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: repo.layout.temporaryDirectory), [])
    }

    func testDeleteFreesOnlyUnsharedBytes() throws {
        let repo = try Repository(root: root)
        let a = try upload(repo, "d-1.0.bin", bytesOf(4, count: 500)).package
        let b = try upload(repo, "d-copy-1.0.bin", bytesOf(4, count: 500)).package
        XCTAssertEqual(a.sha256, b.sha256)
        _ = try repo.delete(id: a.id)
        XCTAssertTrue(repo.blobs.contains(sha256: a.sha256), "still used by the copy")
        _ = try repo.delete(id: b.id)
        XCTAssertFalse(repo.blobs.contains(sha256: a.sha256))
        XCTAssertThrowsError(try repo.delete(id: b.id))
    }

    func testLeftoversOfACrashAreCleanedAndOrphansSwept() throws {
        do {
            let repo = try Repository(root: root)
            _ = try repo.beginUpload(fileName: "half-1.0.bin", uploader: "tester") // never finished
            let orphanDir = repo.layout.blobsDirectory + "/ab"
            try FileManager.default.createDirectory(atPath: orphanDir, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: orphanDir + "/ab" + String(repeating: "0", count: 62), contents: Data("x".utf8))
        }
        let reopened = try Repository(root: root)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: reopened.layout.temporaryDirectory), [])
        XCTAssertEqual(try reopened.sweepOrphanBlobs(), 1)
        XCTAssertEqual(reopened.blobs.allDigests(), [])
        XCTAssertEqual(try reopened.catalog.integrityCheck(), "ok")
    }

    func testABlobNotedAsChangingHandsIsFreedAtTheNextOpenUnlessAPackageHasIt() throws {
        let kept = bytesOf(5, count: 4000), dropped = bytesOf(6, count: 4000)
        var keptDigest = "", droppedDigest = ""
        do {
            let repo = try Repository(root: root)
            keptDigest = try upload(repo, "kept-1.0.bin", kept).package.sha256
            // A crash between the blob's move and the catalog commit: the note stays behind.
            droppedDigest = try repo.sha256OfFile(try writeTemporary(dropped, in: repo))
            let temporary = try writeTemporary(dropped, in: repo)
            _ = repo.blobs.notePending(sha256: droppedDigest)
            _ = repo.blobs.notePending(sha256: keptDigest)
            let adoption = try repo.blobs.adopt(temporaryPath: temporary, sha256: droppedDigest)
            XCTAssertTrue(adoption.added)
            try adoption.waitUntilDurable()
            // Cleared notes leave nothing to do.
            repo.blobs.notePending(sha256: keptDigest).clear()
            repo.releaseLock()
        }
        let reopened = try Repository(root: root)
        XCTAssertEqual(reopened.blobs.allDigests(), [keptDigest], "the unreferenced blob is freed, the referenced one kept")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: reopened.layout.notesDirectory), [])
        XCTAssertNotEqual(droppedDigest, keptDigest)
    }

    private func writeTemporary(_ bytes: [UInt8], in repo: Repository) throws -> String {
        let path = repo.layout.temporaryDirectory + "/test-" + UUID().uuidString
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    func testAdoptionCreatesAMissingDirectoryAndStoresSameBytesOnce() throws {
        let repo = try Repository(root: root)
        let bytes = bytesOf(9, count: 3000)
        let digest = try repo.sha256OfFile(try writeTemporary(bytes, in: repo))
        let fanOut = (repo.blobs.path(sha256: digest) as NSString).deletingLastPathComponent
        let made = try FileManager.default.contentsOfDirectory(atPath: repo.layout.blobsDirectory)
        XCTAssertEqual(Set(made), Set((0...255).map { Hex.string([UInt8($0)]) }), "a store makes its fan-out directories at open")
        XCTAssertEqual(rmdir(fanOut), 0)  // as a store from before they were made at open
        let first = try repo.blobs.adopt(temporaryPath: try writeTemporary(bytes, in: repo), sha256: digest)
        try first.waitUntilDurable()
        try first.waitUntilDurable()  // a second wait returns at once
        XCTAssertTrue(first.added)
        XCTAssertEqual(FileManager.default.contents(atPath: repo.blobs.path(sha256: digest)), Data(bytes))
        let second = try repo.blobs.adopt(temporaryPath: try writeTemporary(bytes, in: repo), sha256: digest)
        try second.waitUntilDurable()
        XCTAssertFalse(second.added, "the same bytes are stored once")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: repo.layout.temporaryDirectory)
            .filter { $0.hasPrefix("test-") }.count, 1, "only the file sha256OfFile read is left; adopted temps are gone")
        XCTAssertThrowsError(try repo.blobs.adopt(temporaryPath: repo.layout.temporaryDirectory + "/missing", sha256: String(repeating: "ab", count: 32))) { error in
            XCTAssertTrue("\(error)".contains("storing blob"), "\(error)")
        }
        XCTAssertThrowsError(try BackgroundSync(directory: root + "/no-such-directory")) { error in
            XCTAssertTrue("\(error)".contains("cannot open"), "\(error)")
        }
    }

    func testOneProcessPerStore() throws {
        let repo = try Repository(root: root)
        XCTAssertThrowsError(try Repository(root: root)) { error in
            XCTAssertTrue("\(error)".contains("in use by another pkgfs process"), "\(error)")
        }
        repo.releaseLock()
        XCTAssertNoThrow(try Repository(root: root))
    }

    func testTransitionsFollowAstraAndReverify() throws {
        let repo = try Repository(root: root)
        let p = try upload(repo, "e-1.0.bin", bytesOf(5, count: 100)).package
        XCTAssertEqual(p.state, .available)
        XCTAssertEqual(try repo.transition(id: p.id, to: .corrupt, by: "tester").state, .corrupt)
        XCTAssertThrowsError(try repo.transition(id: p.id, to: .verifying, by: "tester")) { error in
            guard case StoreError.invalid = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try repo.transition(id: p.id, to: .available, by: "tester").state, .available)
    }

    /// `available` is written only over bytes that verify as an upload's do: a fake RPM stays
    /// corrupt, with what is wrong, and the writer gets the error.
    func testAvailableIsWrittenOnlyOverBytesThatVerify() throws {
        let repo = try Repository(root: root)
        let fake = try upload(repo, "g-1.0-1.el7.x86_64.rpm", bytesOf(6, count: 100)).package
        XCTAssertEqual(fake.state, .corrupt)
        XCTAssertThrowsError(try repo.transition(id: fake.id, to: .available, by: "tester")) { error in
            guard case StoreError.verificationFailed(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("stays corrupt"), message)
        }
        let after = try XCTUnwrap(try repo.catalog.package(id: fake.id))
        XCTAssertEqual(after.state, .corrupt)
        XCTAssertEqual(after.stateDetails.map(\.type), fake.stateDetails.map(\.type), "the analysis's own findings")
        XCTAssertEqual(after.modifiedBy, "tester")

        let good = try upload(repo, "h-1.0.bin", bytesOf(7, count: 100)).package
        XCTAssertEqual(try repo.transition(id: good.id, to: .corrupt, by: "tester").stateDetails.count, 1)
        let back = try repo.transition(id: good.id, to: .available, by: "tester")
        XCTAssertEqual(back.state, .available)
        XCTAssertEqual(back.stateDetails, [], "verified again, nothing is wrong")

        // Stored bytes gone: a finding too, which makes the package corrupt.
        XCTAssertEqual(unlink(repo.blobPath(of: back)), 0)
        XCTAssertThrowsError(try repo.transition(id: good.id, to: .available, by: "tester")) { error in
            guard case StoreError.verificationFailed(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("is now corrupt"), message)
        }
        let gone = try XCTUnwrap(try repo.catalog.package(id: good.id))
        XCTAssertEqual(gone.state, .corrupt)
        XCTAssertEqual(gone.stateDetails.map(\.title), ["Stored bytes cannot be read"])
    }

    func testEmptyAndUnknownContent() throws {
        let repo = try Repository(root: root)
        let empty = try upload(repo, "f-1.0-1.el7.x86_64.rpm", []).package
        XCTAssertEqual(empty.state, .corrupt)
        XCTAssertEqual(empty.stateDetails.first?.type, "empty")
        let fake = try upload(repo, "g-1.0-1.el7.x86_64.rpm", bytesOf(6, count: 100)).package
        XCTAssertEqual(fake.state, .corrupt)
        XCTAssertEqual(fake.operatingSystem, "el7", "filed by what its name tells")
        let plain = try upload(repo, "notes-2.0.txt", Array("hello".utf8)).package
        XCTAssertEqual(plain.state, .available)
        XCTAssertEqual(plain.format, .file)
        XCTAssertEqual(plain.operatingSystem, "unknown")
    }
}

/// Every failed write, sync, create or link says "no space" for a full disk and for a full quota
/// alike (the mount answers ENOSPC to both), and names the errno otherwise.
final class StoreErrorTests: XCTestCase {
    func testFullDiskAndFullQuotaAreNoSpace() {
        for e in [ENOSPC, EDQUOT] {
            XCTAssertEqual(StoreError.failed(e, "storing blob ab"), .noSpace("no space left storing blob ab"))
        }
        XCTAssertEqual(StoreError.failed(EIO, "storing blob ab"), .io("storing blob ab failed", errno: EIO))
        XCTAssertEqual("\(StoreError.failed(ENOENT, "creating the temp file for x"))",
                       "creating the temp file for x failed: No such file or directory")
    }
}
