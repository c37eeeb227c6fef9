import Foundation
import Logging
@testable import PkgfsFUSE
import XCTest

/// Without opendir, each reader of a directory pages through the listing it started: its
/// readdir offsets name that listing (`ListingCookie`).
final class ListingCookieTests: XCTestCase {
    func testEachReaderGoesOnWithTheListingItStarted() throws {
        let fs = ChangingDirectory()
        let ctx = FuseContext(fs: fs, logger: Logger(label: "test"))
        let (first, firstCookie) = try ctx.listing(ofDirectory: 1, offset: 0)
        try first.load()
        XCTAssertEqual(first.count, 3)
        XCTAssertEqual(firstCookie.position, 0)
        fs.addName("b2")  // an upload commits while the first reader is between pages
        let (second, secondCookie) = try ctx.listing(ofDirectory: 1, offset: 0)
        try second.load()
        XCTAssertEqual(second.count, 4)
        XCTAssertNotEqual(firstCookie.number, secondCookie.number)

        // Each reader resumes after ".", ".." and "a" with its own listing, whichever started last.
        let (resumedFirst, resumedFirstCookie) = try ctx.listing(ofDirectory: 1, offset: Int(firstCookie.offset(after: 2)))
        XCTAssertTrue(resumedFirst === first, "the first reader must not continue in the newer listing")
        XCTAssertEqual(resumedFirstCookie.position, 3)
        let (resumedSecond, resumedSecondCookie) = try ctx.listing(ofDirectory: 1, offset: Int(secondCookie.offset(after: 2)))
        XCTAssertTrue(resumedSecond === second)
        XCTAssertEqual(resumedSecondCookie.position, 3)

        // A listing dropped meanwhile (16 are kept) is read anew and gone on with from the same place.
        for _ in 0..<20 { _ = try ctx.listing(ofDirectory: 1, offset: 0) }
        let (reread, rereadCookie) = try ctx.listing(ofDirectory: 1, offset: Int(firstCookie.offset(after: 2)))
        try reread.load()
        XCTAssertFalse(reread === first)
        XCTAssertEqual(reread.count, 4)
        XCTAssertEqual(rereadCookie.position, 3)
        XCTAssertNotEqual(rereadCookie.number, firstCookie.number)
    }

    func testCookiesKeepNumberAndPositionApart() {
        let cookie = ListingCookie(number: ListingCookie.maxNumber, position: 7)
        let offset = cookie.offset(after: 7)
        XCTAssertGreaterThan(offset, 0, "offsets stay positive")
        let read = ListingCookie(offset: Int(offset))
        XCTAssertEqual(read.number, ListingCookie.maxNumber)
        XCTAssertEqual(read.position, 8)
    }
}

private final class ChangingDirectory: LowLevelFileSystem, @unchecked Sendable {
    private let lock = NSLock()
    private var names = ["a", "b", "c"]

    func addName(_ name: String) { lock.withLock { names.append(name) } }

    func lookup(parent: UInt64, name: String, caller: Caller) throws -> Entry { throw FSError(ENOENT) }
    func getattr(_ ino: UInt64) throws -> Entry { throw FSError(ENOENT) }
    func opendir(_ ino: UInt64) throws -> any DirectoryListing { NameListing(lock.withLock { names }) }
    func open(_ ino: UInt64, flags: Int32, caller: Caller) throws -> OpenReply { throw FSError(EACCES) }
    func read(_ ino: UInt64, handle: UInt64, offset: Int64, size: Int) throws -> [UInt8] { [] }
    func release(_ ino: UInt64, handle: UInt64) {}
    func statfs() -> FilesystemStatistics { FilesystemStatistics(blockSize: 4096, blocks: 1, freeBlocks: 0, files: 1, freeFiles: 0) }
}

private final class NameListing: DirectoryListing, @unchecked Sendable {
    let names: [String]
    init(_ names: [String]) { self.names = names }
    func load() throws {}
    var count: Int { names.count }
    var mayBeCached: Bool { true }
    func entry(at index: Int) -> DirectoryEntry { DirectoryEntry(name: names[index], ino: DirectoryEntry.unknownIno, mode: UInt32(S_IFREG)) }
    func entryPlus(at index: Int) -> Entry? { nil }
    func waitUntilSent() {}
}
