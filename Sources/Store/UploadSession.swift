import Foundation
import PkgfsFormats
import PkgfsModel

/// One upload in flight: bytes go to a temp file in the store while SHA-1 and SHA-256
/// are computed inline; nothing is held in memory. Writes at other offsets than the end
/// are accepted too; the digests are then computed once from the file at seal time.
public final class UploadSession: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `lock`, the name by `nameLock`.
    public var fileName: String { nameLock.withLock { name } }
    private var name: String
    private let nameLock = NSLock()
    public let uploader: String
    public let startedAt: Date
    let temporaryPath: String
    private let fd: Int32
    private let lock = NSLock()
    private let digests = InlineDigests()
    private var hashedLength: Int64 = 0
    private var length: Int64 = 0
    private var inOrder = true
    /// Bytes before this offset have been handed to the disk (`startWriteback`).
    private var writebackStart: Int64 = 0
    private var expected: [String: String] = [:]
    /// Writes the in-order bytes past `directFrom` when the upload is a plain file or an RPM
    /// (decided from its first bytes); nil before that point, for other uploads, and once bytes come out of order.
    private var direct: DirectWriter?
    private var mayWriteDirect = false
    /// The first write or truncate that failed (a full disk, say): the bytes on disk are not
    /// the bytes sent, so the upload can only fail; later writes and the seal report it.
    private var failure: StoreError?

    /// Whether its bytes are read back before it is sealed (`openForReading`): then all of them
    /// go through the page cache, none past it (`DirectWriter` keeps a chunk until the seal).
    private let readBack: Bool

    init(fileName: String, uploader: String, directory: String, readBack: Bool = false) throws {
        self.name = fileName
        self.readBack = readBack
        self.uploader = uploader
        self.startedAt = Date()
        temporaryPath = "\(directory)/upload-\(UUID().uuidString.lowercased())"
        fd = open(temporaryPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError.failed(errno, "creating the temp file for \(fileName)")
        }
    }

    deinit {
        close(fd)
    }

    /// A descriptor that reads the bytes written so far (a session made with `readBack`); -1 and
    /// errno if the file cannot be opened.
    public func openForReading() -> Int32 {
        open(temporaryPath, O_RDONLY | O_CLOEXEC)
    }

    /// Registers the upload under `newName` (a temporary file renamed to its final name).
    public func rename(to newName: String) throws {
        try Repository.checkFileName(newName)
        nameLock.withLock { name = newName }
    }

    /// The write or truncate that failed, if one did (`failure`).
    public var failedWrite: StoreError? { lock.withLock { failure } }

    public var size: Int64 {
        lock.withLock { length }
    }

    /// Whether appended bytes go past the page cache now (for tests).
    var writesDirect: Bool {
        lock.withLock { direct != nil }
    }

    /// Where a plain file's or an RPM's bytes start to go past the page cache (`DirectWriter`):
    /// smaller uploads never do, and the head stays cached for the analysis that reads it.
    static let directFrom: Int64 = 8 << 20

    /// A plain file has nothing to parse; an RPM's digests are computed while it streams in
    /// and its payload is listed from its header. Debs and archives are listed from their
    /// payload at close: their bytes stay in the page cache.
    private static func nothingReadsBackTheTail(of format: PackageFormat) -> Bool {
        format == .file || format == .rpm
    }

    public func write(at offset: Int64, _ bytes: UnsafeRawBufferPointer) throws -> Int {
        try lock.withLock {
            if let failure { throw failure }
            if offset == 0 && length == 0 {
                mayWriteDirect = !readBack && bytes.count >= Sniffed.headLength
                    && Self.nothingReadsBackTheTail(of: Sniffed(head: Array(bytes.prefix(Sniffed.headLength))).format)
            }
            try recordingFailure { try store(bytes, at: offset) }
            if inOrder && offset == hashedLength {
                digests.update(bytes)
                hashedLength += Int64(bytes.count)
            } else if bytes.count > 0 {
                inOrder = false
            }
            length = max(length, offset + Int64(bytes.count))
            startWriteback()
            return bytes.count
        }
    }

    /// Runs `body` (under `lock`); the error it throws stays the upload's failure: the bytes on
    /// disk are no longer the bytes sent.
    private func recordingFailure(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as StoreError {
            failure = error
            throw error
        }
    }

    /// Puts the bytes on disk: appended bytes of a plain file past `directFrom` through `direct`,
    /// everything else through the page cache.
    private func store(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        let appending = inOrder && offset == length && offset == hashedLength
        if let direct {
            if appending { return try direct.append(bytes) }
            try endDirectWrites()
        } else if appending && mayWriteDirect && offset <= Self.directFrom && offset + Int64(bytes.count) > Self.directFrom {
            let head = Int(max(0, Self.directFrom - offset))
            try writeThroughCache(UnsafeRawBufferPointer(rebasing: bytes[..<head]), at: offset)
            if let writer = DirectWriter(path: temporaryPath, from: Self.directFrom, of: fileName) {
                // The head goes to the disk now rather than with the fsync at seal.
                _ = startWritingBack(fd, 0, Self.directFrom, syncFileRangeWrite)
                direct = writer
                return try writer.append(UnsafeRawBufferPointer(rebasing: bytes[head...]))
            }
            mayWriteDirect = false
            return try writeThroughCache(UnsafeRawBufferPointer(rebasing: bytes[head...]), at: Self.directFrom)
        }
        try writeThroughCache(bytes, at: offset)
    }

    private func writeThroughCache(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        let e = pwriteFully(fd, bytes, at: offset)
        if e != 0 { throw StoreError.failed(e, "writing \(fileName)") }
    }

    /// Back to the page cache for good: waits for the direct writes and writes what they had
    /// not taken yet.
    private func endDirectWrites() throws {
        guard let writer = direct else { return }
        direct = nil
        mayWriteDirect = false
        try writer.finish(writingRestTo: fd)
    }

    /// Every 32 MiB, asks the kernel to start writing what came before (without waiting), so the
    /// disk works while the upload streams in and the fsync at close finds little left to do.
    private func startWriteback() {
        let window: Int64 = 32 << 20
        guard direct == nil, length - writebackStart >= window else { return }
        _ = startWritingBack(fd, writebackStart, length - writebackStart, syncFileRangeWrite)
        writebackStart = length
    }

    public func truncate(to newLength: Int64) throws {
        try lock.withLock {
            if let failure { throw failure }
            try recordingFailure {
                try endDirectWrites()
                guard ftruncate(fd, off_t(newLength)) == 0 else {
                    throw StoreError.failed(errno, "truncating \(fileName)")
                }
            }
            if newLength < hashedLength { inOrder = false }
            writebackStart = min(writebackStart, newLength)
            if newLength > length && newLength != hashedLength { inOrder = false }
            length = newLength
        }
    }

    /// An expected digest given before close (`user.pkgfs.sha256`, `user.pkgfs.sha1`).
    public func expectDigest(_ algorithm: String, hex: String) {
        lock.withLock { expected[algorithm] = hex.lowercased().trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    public var expectedDigests: [String: String] {
        lock.withLock { expected }
    }

    /// Returns the digests of the bytes and starts making them durable: the fsync runs while
    /// the caller analyzes the upload, and `SealedUpload.waitUntilDurable` ends it.
    func seal() throws -> SealedUpload {
        try lock.withLock {
            // A write that failed leaves a file that is not what was sent: never register it.
            if let failure { throw failure }
            try recordingFailure(endDirectWrites)
            if !inOrder || hashedLength != length {
                try rehashFromFile()
            }
            let (sha1, sha256, ranges) = digests.finalize()
            return SealedUpload(temporaryPath: temporaryPath, size: length, sha1: sha1, sha256: sha256,
                                rangeDigests: ranges, expected: expected, durability: BackgroundSync(fd: fd, of: fileName, keepingOpen: self))
        }
    }

    private func rehashFromFile() throws {
        digests.reset()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        while offset < length {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(offset)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io("re-reading \(fileName) failed", errno: errno)
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { digests.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            offset += Int64(n)
        }
        hashedLength = offset
        inOrder = true
    }

    /// Drops the temp file (upload abandoned, refused or removed).
    public func discard() {
        unlink(temporaryPath)
    }
}

struct SealedUpload {
    let temporaryPath: String
    let size: Int64
    let sha1: String
    let sha256: String
    /// An RPM's payload digest and MD5 as computed while the bytes streamed in.
    let rangeDigests: [RPMComputedDigest]
    let expected: [String: String]
    let durability: BackgroundSync

    /// Nothing may point at the bytes (a blob name, a catalog row) before this has returned.
    func waitUntilDurable() throws {
        try durability.wait()
    }
}

/// sync_file_range(2), which Glibc's Swift module leaves out (it is a _GNU_SOURCE declaration).
@_silgen_name("sync_file_range")
private func startWritingBack(_ fd: Int32, _ offset: Int64, _ count: Int64, _ flags: UInt32) -> Int32
/// SYNC_FILE_RANGE_WRITE: start writeback of the dirty pages in the range, do not wait.
private let syncFileRangeWrite: UInt32 = 2
