import Foundation
import Synchronization

/// Runs `body(0)` … `body(count - 1)` on `count` threads at once, the caller's among them, and
/// returns their results in order (or the first part's error). For work that waits on the disk:
/// each thread's reads are in flight together. GCD's pools are only as wide as the CPUs (two
/// here), however long their threads wait.
func onParallelThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let slots = ResultSlots<T>(count)
    let done = DispatchSemaphore(value: 0)
    for part in 1..<max(count, 1) {
        Thread {
            slots.set(part, Result { try body(part) })
            done.signal()
        }.start()
    }
    if count > 0 { slots.set(0, Result { try body(0) }) }
    for _ in 1..<max(count, 1) { done.wait() }
    return try slots.all()
}

private final class ResultSlots<T: Sendable>: Sendable {
    private let results: Mutex<[Result<T, any Error>?]>

    init(_ count: Int) {
        results = Mutex(Array(repeating: nil, count: count))
    }

    func set(_ index: Int, _ result: Result<T, any Error>) {
        results.withLock { $0[index] = result }
    }

    func all() throws -> [T] {
        try results.withLock { try $0.map { try $0!.get() } }
    }
}
