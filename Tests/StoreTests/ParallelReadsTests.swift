import Foundation
@testable import PkgfsStore
import XCTest

final class ParallelReadsTests: XCTestCase {
    struct PartFailed: Error {}

    func testPartsRunAtOnceAndComeBackInOrder() throws {
        // Each part waits for all four to have started: only threads running together finish.
        let started = DispatchGroup()
        for _ in 0..<4 { started.enter() }
        let results = try onParallelThreads(4) { part in
            started.leave()
            XCTAssertEqual(started.wait(timeout: .now() + 10), .success, "part \(part) ran alone")
            return part * 10
        }
        XCTAssertEqual(results, [0, 10, 20, 30])
    }

    func testAFailingPartFailsTheWholeAfterAllHaveEnded() {
        let ended = ManagedAtomicCounter()
        XCTAssertThrowsError(try onParallelThreads(3) { part in
            defer { ended.increment() }
            if part == 2 { throw PartFailed() }
            return part
        }) { XCTAssertTrue($0 is PartFailed) }
        XCTAssertEqual(ended.value, 3)
        XCTAssertEqual(try onParallelThreads(1) { $0 + 1 }, [1])
    }
}

private final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
