import Foundation
@testable import PkgfsFUSE
import XCTest

/// The heap is trimmed once after a burst of frees that reaches the threshold, not per free,
/// and not at all for a few.
final class HeapTrimmerTests: XCTestCase {
    private final class Trims: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        private var callback: (() -> Void)?
        var onTrim: (() -> Void)? {
            get { lock.withLock { callback } }
            set { lock.withLock { callback = newValue } }
        }
        func add() {
            lock.lock()
            value += 1
            let then = callback
            lock.unlock()
            then?()
        }
        var count: Int { lock.withLock { value } }
    }

    func testABurstOfFreesIsTrimmedOnceAfterIt() {
        let trims = Trims()
        let trimmed = expectation(description: "trimmed")
        trims.onTrim = { trimmed.fulfill() }
        let trimmer = HeapTrimmer(threshold: 1_000, delay: .milliseconds(100)) { trims.add() }
        trimmer.freed(999)
        for _ in 0..<5_000 { trimmer.freed(1) }
        wait(for: [trimmed], timeout: 10)
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(trims.count, 1)
    }

    func testFewFreesAreNotTrimmedAndCountingStartsAgainAfterATrim() {
        let trims = Trims()
        let trimmer = HeapTrimmer(threshold: 1_000, delay: .milliseconds(50)) { trims.add() }
        trimmer.freed(999)
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(trims.count, 0)

        let trimmed = expectation(description: "trimmed")
        trims.onTrim = { trimmed.fulfill() }
        trimmer.freed(1)
        wait(for: [trimmed], timeout: 10)
        trims.onTrim = nil
        trimmer.freed(999)
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(trims.count, 1, "the count starts again after a trim")
    }
}
