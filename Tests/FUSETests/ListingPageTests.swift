import Foundation
@testable import PkgfsFUSE
import XCTest

/// A readdirplus page carries attributes for a bounded number of names: a plain listing of a
/// big directory does not make an inode of every name it passes, and a reader that stats what
/// it lists still finds every name with the right attributes.
final class ListingPageTests: XCTestCase {
    private var mountPoint = ""
    private var fs: ManyNamesFileSystem!
    private var served: DispatchSemaphore?

    override func setUpWithError() throws {
        mountPoint = try makeTestMountPoint("pkgfs-pages")
        fs = ManyNamesFileSystem(count: 3_000)
        served = try serveTestMount(fs, at: mountPoint, name: "pages-test", maxThreads: 2, busyPoll: 0)
    }

    override func tearDown() {
        if let served {
            _ = unmountTestMount(mountPoint)
            XCTAssertEqual(served.wait(timeout: .now() + 20), .success, "the loop did not return after the unmount")
        }
        rmdir(mountPoint)
    }

    func testAPlainListingMakesFewEntriesWithAttributes() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: mountPoint)
        XCTAssertEqual(Set(names), Set(fs.names))
        XCTAssertGreaterThan(fs.entriesWithAttributes, 0, "the kernel asked for no readdirplus: nothing was tested")
        XCTAssertLessThanOrEqual(fs.entriesWithAttributes, maxEntriesWithAttributes)
    }

    func testAReaderThatStatsWhatItListsFindsEveryName() throws {
        guard let dir = opendir(mountPoint) else { return XCTFail("opendir: \(errno)") }
        defer { closedir(dir) }
        var seen = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            var st = stat()
            XCTAssertEqual(lstat("\(mountPoint)/\(name)", &st), 0, "lstat \(name)")
            XCTAssertEqual(Int(st.st_size), ManyNamesFileSystem.size(of: name), name)
            seen += 1
        }
        XCTAssertEqual(seen, fs.names.count)
    }
}

/// A root directory of `count` files whose sizes follow from their names.
private final class ManyNamesFileSystem: LowLevelFileSystem, @unchecked Sendable {
    // @unchecked: `plusCount` is guarded by `lock`; the rest is immutable.
    let names: [String]
    private let lock = NSLock()
    private var plusCount = 0

    init(count: Int) {
        names = (0..<count).map { String(format: "file-%05d", $0) }
    }

    var entriesWithAttributes: Int { lock.withLock { plusCount } }

    static func size(of name: String) -> Int { Int(name.dropFirst(5))! % 97 }

    private func entry(index: Int) -> Entry {
        Entry(attributes: Attributes(ino: UInt64(index + 2), mode: UInt32(S_IFREG) | 0o444, nlink: 1,
                                     size: Int64(Self.size(of: names[index]))),
              entryTimeout: 60, attributeTimeout: 60)
    }

    func lookup(parent: UInt64, name: String, caller: Caller) throws -> Entry {
        guard parent == 1, let index = names.firstIndex(of: name) else { throw FSError(ENOENT) }
        return entry(index: index)
    }

    func getattr(_ ino: UInt64) throws -> Entry {
        if ino == 1 {
            return Entry(attributes: Attributes(ino: 1, mode: UInt32(S_IFDIR) | 0o755, nlink: 2, size: 0),
                         entryTimeout: 60, attributeTimeout: 60)
        }
        guard ino >= 2, Int(ino - 2) < names.count else { throw FSError(ENOENT) }
        return entry(index: Int(ino - 2))
    }

    func opendir(_ ino: UInt64) throws -> any DirectoryListing {
        guard ino == 1 else { throw FSError(ENOTDIR) }
        return Listing(fs: self)
    }

    fileprivate func countedEntry(index: Int) -> Entry {
        lock.withLock { plusCount += 1 }
        return entry(index: index)
    }

    func open(_ ino: UInt64, flags: Int32, caller: Caller) throws -> OpenReply { throw FSError(EACCES) }
    func read(_ ino: UInt64, handle: UInt64, offset: Int64, size: Int) throws -> [UInt8] { [] }
    func release(_ ino: UInt64, handle: UInt64) {}

    func statfs() -> FilesystemStatistics {
        FilesystemStatistics(blockSize: 4096, blocks: 1, freeBlocks: 0, files: UInt64(names.count), freeFiles: 0)
    }

    private final class Listing: DirectoryListing, @unchecked Sendable {
        let fs: ManyNamesFileSystem
        init(fs: ManyNamesFileSystem) { self.fs = fs }
        func load() throws {}
        var count: Int { fs.names.count }
        var mayBeCached: Bool { true }
        func entry(at index: Int) -> DirectoryEntry {
            DirectoryEntry(name: fs.names[index], ino: UInt64(index + 2), mode: UInt32(S_IFREG))
        }
        func entryPlus(at index: Int) -> Entry? { fs.countedEntry(index: index) }
    }
}
