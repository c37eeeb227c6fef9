import Crypto
import Foundation
import PkgfsFormats

/// SHA-1 and SHA-256 of a byte stream, computed while it is written. SHA-256 runs on a thread
/// of its own (each digest costs about as much as the write path itself, and the two are
/// independent), so an upload uses two cores. At most `maxPending` chunks wait for it: memory
/// stays bounded whatever the upload size.
final class InlineDigests: @unchecked Sendable {
    // @unchecked: `sha1` is used by the caller's thread only (the session serializes writes);
    // `sha256` only on `queue`.
    private var sha1 = Insecure.SHA1()
    private var sha256 = SHA256()
    private let queue = DispatchQueue(label: "pkgfs.sha256")
    private let pending: DispatchSemaphore
    private let maxPending: Int

    init(maxPending: Int = 8) {
        self.maxPending = maxPending
        pending = DispatchSemaphore(value: maxPending)
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        let copy = [UInt8](bytes)
        pending.wait()
        queue.async {
            copy.withUnsafeBytes { self.sha256.update(bufferPointer: $0) }
            self.pending.signal()
        }
        sha1.update(bufferPointer: bytes)
    }

    /// Waits for the SHA-256 thread and returns both digests as hex.
    func finalize() -> (sha1: String, sha256: String) {
        let sha256Hex = queue.sync { Hex.string(sha256.finalize()) }
        return (Hex.string(sha1.finalize()), sha256Hex)
    }

    func reset() {
        queue.sync { sha256 = SHA256() }
        sha1 = Insecure.SHA1()
    }
}
