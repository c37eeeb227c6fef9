import XCTest
@testable import PkgfsTree

final class BoundedCacheTests: XCTestCase {
    func testHoldsAtMostItsCapacityAndKeepsWhatIsUsed() {
        var cache = BoundedCache<Int, String>(capacity: 4)
        for key in 0..<4 { cache.set(key, "v\(key)") }
        XCTAssertEqual(cache.get(0), "v0", "a hit in the old generation moves it to the young one")
        for key in 4..<6 { cache.set(key, "v\(key)") }
        XCTAssertEqual(cache.get(0), "v0")
        XCTAssertNil(cache.get(1), "not used since two generations")
        XCTAssertEqual((0..<6).filter { cache.get($0) != nil }.count <= 4, true)
        cache.remove(0)
        XCTAssertNil(cache.get(0))
    }

    func testReplacingAKeyDoesNotAgeTheCache() {
        var cache = BoundedCache<Int, Int>(capacity: 4)
        cache.set(1, 1)
        cache.set(2, 2)
        for value in 0..<10 { cache.set(1, value) }
        XCTAssertEqual(cache.get(1), 9)
        XCTAssertEqual(cache.get(2), 2)
    }

    func testRemoveAllWhereReachesBothGenerations() {
        var cache = BoundedCache<Int, Int>(capacity: 4)
        for key in 0..<4 { cache.set(key, key) }  // 0, 1 old; 2, 3 young
        cache.removeAll { $0 % 2 == 0 }
        XCTAssertEqual((0..<4).filter { cache.get($0) != nil }, [1, 3])
    }
}
