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
