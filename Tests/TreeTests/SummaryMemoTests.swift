import TestSupport
import XCTest
@testable import PkgfsStore
@testable import PkgfsTree

final class SummaryMemoTests: XCTestCase {
    func summary(_ id: Int64) -> PackageSummary {
        PackageSummary(id: id, uuid: "u\(id)", fileName: "p\(id).rpm", size: 1, format: "rpm", version: "1", createdAt: 0,
                       modifiedAt: 0, state: .available,
                       location: PackageLocation(type: "T", os: "el7", arch: "x86_64", version: "1", name: "p\(id).rpm"))
    }

    func testOfAReadBiggerThanTheMemoTheFirstSummariesAreKept() {
        let memo = SummaryMemo(capacity: 4)
        memo.store((1...10).map(summary), readAt: memo.currentGeneration)
        XCTAssertEqual((1...10).filter { memo.summary(id: $0) != nil }, [1, 2],
                       "the first half-capacity of a big read, which a listing's first pages ask for")
    }

    func testASummaryReadBeforeAChangeIsNotStored() {
        let memo = SummaryMemo(capacity: 4)
        let readAt = memo.currentGeneration
        memo.forget([1])
        memo.store([summary(1)], readAt: readAt)
        XCTAssertNil(memo.summary(id: 1))
        memo.store([summary(1)], readAt: memo.currentGeneration)
        XCTAssertEqual(memo.summary(id: 1)?.uuid, "u1")
    }
}

final class SearchMemoTests: TemporaryRootTestCase {
    func testEverySearchIsKeptAndABigOneAlone() throws {
        let repo = try Repository(root: root)
        for name in ["alpha-1.0.bin", "alpine-2.0.bin", "beta-1.0.bin"] {
            let session = try repo.beginUpload(fileName: name, uploader: "tester")
            _ = try Array(name.utf8).withUnsafeBytes { try session.write(at: 0, $0) }
            _ = try repo.finishUpload(session)
        }
        func result(_ keyword: String) throws -> SearchResult { SearchResult(try repo.catalog.searchHits(keyword: keyword)) }
        let memo = SearchMemo(keptAloneAbove: 2)
        memo.store("beta", try result("beta"), readAt: 1)
        memo.store("alpha", try result("alpha"), readAt: 1)
        XCTAssertEqual(memo.result("beta", generation: 1)?.hits.count, 1)
        XCTAssertEqual(memo.result("alpha", generation: 1)?.hits.count, 1)
        XCTAssertNil(memo.result("alpha", generation: 2), "read before a change")
        memo.store("a", try result("a"), readAt: 1)
        XCTAssertEqual(memo.result("a", generation: 1)?.hits.count, 3, "a big search is kept")
        XCTAssertNil(memo.result("alpha", generation: 1), "alone")
        XCTAssertNil(memo.result("beta", generation: 1), "alone")
        memo.store("beta", try result("beta"), readAt: 1)
        XCTAssertNil(memo.result("a", generation: 1), "until the next search")
        let beta = try XCTUnwrap(memo.result("beta", generation: 1))
        XCTAssertEqual(beta.hit(named: beta.hits.name(at: 0))?.id, beta.hits.id(at: 0))
        XCTAssertEqual(beta.hit(id: beta.hits.id(at: 0))?.name, beta.hits.name(at: 0))
        XCTAssertNil(beta.hit(named: "alpha"))
    }
}
