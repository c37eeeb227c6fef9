@testable import PkgfsFUSE
import XCTest

/// The kernel's cached listing size, as fs/fuse/readdir.c lays names out on pages.
final class CachedListingSizeTests: XCTestCase {
    func listing(_ lengths: [Int]) -> CachedListingSize {
        var size = CachedListingSize()
        size.add(from: 0, nameLengths: [1, 2] + lengths)
        return size
    }

    func testNamesFillPagesIn8ByteAlignedRecords() {
        XCTAssertEqual(CachedListingSize.pageSize, 4096)
        // 254 names of up to 8 bytes, "." and "..": 256 records of 32 bytes, two pages exactly
        // (the listing ListingCacheTests reads).
        XCTAssertTrue(listing(Array(repeating: 8, count: 254)).endsOnPageBoundary)
        XCTAssertEqual(listing(Array(repeating: 8, count: 254)).bytes, 8192)
        XCTAssertFalse(listing(Array(repeating: 8, count: 253)).endsOnPageBoundary)
        XCTAssertFalse(listing(Array(repeating: 9, count: 254)).endsOnPageBoundary, "40-byte records")
    }

    func testARecordThatDoesNotFitStartsTheNextPage() {
        // The dots take 64 bytes; 100 records of 40 bytes end at 4064; the next does not fit.
        let size = listing(Array(repeating: 16, count: 101))
        XCTAssertEqual(size.bytes, 4096 + 40)
        // A record that ends the page exactly, after the jump to the next one: 4096 + 101 * 40 = 8136,
        // then one of 56 bytes (a 32-byte name) ends it at 8192.
        XCTAssertTrue(listing(Array(repeating: 16, count: 201) + [32]).endsOnPageBoundary)
    }

    func testAPageSentAgainIsCountedOnce() {
        var size = CachedListingSize()
        for position in [0, 1, 2, 2, 3, 1, 4] { size.add(position: position, nameLength: 8) }
        XCTAssertEqual(size.names, 5)
        XCTAssertEqual(size.bytes, 5 * 32)
    }
}
