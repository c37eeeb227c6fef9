import Crypto
import Foundation
import PkgfsFormats

/// SHA-1 and SHA-256 of a byte stream, computed while it is written.
///
/// Each digest costs about as much as the write path itself, so neither runs on the writer's
/// thread: the writer copies a chunk once into a reused buffer and returns (the FUSE reply goes
/// out and `cp` sends the next chunk), while two threads of their own hash that same copy. At
/// most `maxPending` chunks wait: memory stays bounded whatever the upload size. A small write
/// with nothing pending (a whole small package, typically) is hashed on the spot, where two
/// thread hand-offs would cost more than the hashing.
final class InlineDigests: @unchecked Sendable {
    // @unchecked: `sha1` is used on `sha1Queue`, `sha256` on `sha256Queue`, and both inline only
    // while no chunk is pending (`pending == 0`, read under `lock`); `update`, `finalize` and
    // `reset` are called by one thread at a time (the upload session serializes them).
    private var sha1 = Insecure.SHA1()
    private var sha256 = SHA256()
    private let sha1Queue = DispatchQueue(label: "pkgfs.sha1")
    private let sha256Queue = DispatchQueue(label: "pkgfs.sha256")
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var pending = 0
    private var spare: [Chunk] = []
    static let inlineLimit = 64 << 10

    init(maxPending: Int = 8) {
        slots = DispatchSemaphore(value: maxPending)
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if bytes.count <= Self.inlineLimit && lock.withLock({ pending == 0 }) {
            sha1.update(bufferPointer: bytes)
            sha256.update(bufferPointer: bytes)
            return
        }
        slots.wait()
        let chunk = lock.withLock { () -> Chunk in
            pending += 1
            return spare.popLast() ?? Chunk()
        }
        chunk.fill(bytes)
        sha1Queue.async {
            self.sha1.update(bufferPointer: chunk.bytes)
            self.done(chunk)
        }
        sha256Queue.async {
            self.sha256.update(bufferPointer: chunk.bytes)
            self.done(chunk)
        }
    }

    /// Called by each digest thread; the second call puts the chunk back.
    private func done(_ chunk: Chunk) {
        let free = lock.withLock { () -> Bool in
            chunk.hashesLeft -= 1
            guard chunk.hashesLeft == 0 else { return false }
            pending -= 1
            spare.append(chunk)
            return true
        }
        // After both hashes, so a waiting writer never finds more than `maxPending` buffers in use.
        if free { slots.signal() }
    }

    /// Waits for both digest threads and returns the digests as hex.
    func finalize() -> (sha1: String, sha256: String) {
        let sha1Hex = sha1Queue.sync { Hex.string(sha1.finalize()) }
        let sha256Hex = sha256Queue.sync { Hex.string(sha256.finalize()) }
        return (sha1Hex, sha256Hex)
    }

    func reset() {
        sha1Queue.sync { sha1 = Insecure.SHA1() }
        sha256Queue.sync { sha256 = SHA256() }
    }
}

/// One chunk's copy, hashed by both digest threads, then reused for a later chunk.
private final class Chunk: @unchecked Sendable {
    // @unchecked: filled by the writer before it is handed to the queues, read-only after;
    // `hashesLeft` is changed under the digests' lock only.
    private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private(set) var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    var hashesLeft = 0

    func fill(_ source: UnsafeRawBufferPointer) {
        if storage.count < source.count {
            storage.deallocate()
            storage = .allocate(byteCount: max(source.count, 1 << 20), alignment: 64)
        }
        storage.copyMemory(from: source)
        bytes = UnsafeRawBufferPointer(rebasing: storage[0..<source.count])
        hashesLeft = 2
    }

    deinit {
        storage.deallocate()
    }
}
