import Foundation
import Logging
import PkgfsFUSE
import PkgfsStore
@testable import PkgfsTree
import XCTest

/// Issue 4: random and backward reads in a big compressed payload do not decompress from the
/// start each time: the first backward read puts the file into the store's payload cache.
final class PayloadCacheTests: XCTestCase {
    var root: String!
    let owner = Caller(uid: 0, gid: 0, pid: 0)

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "pkgfs-cache-test-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A tar.xz holding `big.bin`: 6 MiB where every 64 KiB block differs.
    func makeArchive() throws -> (archive: [UInt8], big: [UInt8]) {
        var big = [UInt8]()
        for block in 0..<96 {
            var seed = UInt32(truncatingIfNeeded: block &* 2_654_435_761 &+ 1)
            for _ in 0..<(64 << 10) {
                seed = seed &* 1_103_515_245 &+ 12_345
                big.append(UInt8(truncatingIfNeeded: seed >> 16))
            }
        }
        let dir = root + "/src"
        try FileManager.default.createDirectory(atPath: dir + "/opt", withIntermediateDirectories: true)
        try Data(big).write(to: URL(fileURLWithPath: dir + "/opt/big.bin"))
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-C", dir, "-cJf", root + "/big-1.0.tar.xz", "opt"]
        try tar.run()
        tar.waitUntilExit()
        XCTAssertEqual(tar.terminationStatus, 0)
        return (Array(try Data(contentsOf: URL(fileURLWithPath: root + "/big-1.0.tar.xz"))), big)
    }

    /// `makeArchive` uploaded through a tree: the tree and the inode of files/opt/big.bin.
    func uploadedBigFile() throws -> (repository: Repository, tree: PackageTree, ino: UInt64, big: [UInt8]) {
        let (archive, big) = try makeArchive()
        let repository = try Repository(root: root + "/store")
        let tree = PackageTree.forTests(repository)
        let incoming = try tree.lookup(parent: InodeTable.rootIno, name: "incoming").attributes.ino
        let (upload, reply) = try tree.create(parent: incoming, name: "big-1.0.tar.xz", mode: 0o644, flags: O_WRONLY, caller: owner)
        _ = try archive.withUnsafeBytes { try tree.write(upload.attributes.ino, handle: reply.handle, offset: 0, data: $0, caller: owner) }
        try tree.flush(upload.attributes.ino, handle: reply.handle, caller: owner)
        tree.release(upload.attributes.ino, handle: reply.handle)
        let location = try XCTUnwrap(try repository.catalog.summary(fileName: "big-1.0.tar.xz")?.location)
        var ino = InodeTable.rootIno
        for name in location.path.split(separator: "/").map(String.init) + ["files", "opt", "big.bin"] {
            ino = try tree.lookup(parent: ino, name: name).attributes.ino
        }
        return (repository, tree, ino, big)
    }

    func testBackwardReadsAreServedFromTheCacheAfterOneDecompression() throws {
        let (repository, tree, ino, big) = try uploadedBigFile()
        let opened = try tree.open(ino, flags: O_RDONLY, caller: owner)
        defer { tree.release(ino, handle: opened.handle) }
        let chunk = 128 << 10
        // From the end backwards, the worst order for a compressed stream.
        for start in stride(from: big.count - chunk, through: 0, by: -chunk) {
            let got = try tree.read(ino, handle: opened.handle, offset: Int64(start), size: chunk)
            XCTAssertEqual(got, Array(big[start..<start + chunk]), "bytes at \(start)")
        }
        guard case .payload(let stream)? = tree.handles.get(opened.handle) else { return XCTFail("not a payload handle") }
        XCTAssertTrue(stream.isCached)
        let opens = try XCTUnwrap(stream.reader?.statistics.opens)
        XCTAssertLessThanOrEqual(opens, 2, "48 backward reads decompressed from the start \(opens) times")
        XCTAssertEqual(repository.payloadCache.size, Int64(big.count))

        // Another open of the same file reads the cached copy; deleting the package drops it.
        let again = try tree.open(ino, flags: O_RDONLY, caller: owner)
        XCTAssertEqual(try tree.read(ino, handle: again.handle, offset: 5_000_000, size: 10), Array(big[5_000_000..<5_000_010]))
        tree.release(ino, handle: again.handle)
        let id = try XCTUnwrap(try repository.catalog.summary(fileName: "big-1.0.tar.xz")?.id)
        _ = try repository.delete(id: id)
        XCTAssertEqual(repository.payloadCache.size, 0)
    }

    /// A payload nobody reads any more lets go of its decompressors (each holds its window:
    /// 128 MiB for a zstd --long stream); reading it again opens the archive anew.
    func testIdleDecompressorsAreClosed() throws {
        let (_, tree, ino, big) = try uploadedBigFile()
        let opened = try tree.open(ino, flags: O_RDONLY, caller: owner)
        XCTAssertEqual(try tree.read(ino, handle: opened.handle, offset: 0, size: 1 << 20), Array(big[0..<(1 << 20)]))
        guard case .payload(let stream)? = tree.handles.get(opened.handle), let reader = stream.reader else {
            return XCTFail("not a payload handle")
        }
        tree.release(ino, handle: opened.handle)
        XCTAssertTrue(reader.canContinue(stream.entry, at: 1 << 20), "a cursor is kept for the next read")
        tree.payloadReaders.closeIdleCursors()
        XCTAssertTrue(reader.canContinue(stream.entry, at: 1 << 20), "not idle yet")
        tree.payloadReaders.closeIdleCursors(now: .now + .seconds(11))
        XCTAssertFalse(reader.canContinue(stream.entry, at: 1 << 20), "idle: its decompressor is closed")
    }
}
