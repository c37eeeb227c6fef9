import Foundation

/// Runs blocking store work (fsync, parsing, hashing) on its own thread, off Swift's
/// cooperative pool, which has only as many threads as cores.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
