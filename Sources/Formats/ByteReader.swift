import Foundation

/// Random-access bytes a parser reads from: a stored blob, a file, or memory.
/// Parsers never trust a length read from the input; they ask for exactly the bytes
/// they need and get `FormatError.truncated` when the source ends first. `read` may be called
/// from several threads at once (an RPM's digests are checked in two passes side by side).
public protocol ByteReader: Sendable {
    /// Total number of bytes available.
    var count: Int { get }
    /// Exactly `length` bytes at `offset`, or `FormatError.truncated`.
    func read(at offset: Int, length: Int) throws -> [UInt8]
}

/// Bytes held in memory (tests, fuzzing, small inputs).
public struct MemoryBytes: ByteReader {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ data: Data) { self.bytes = [UInt8](data) }
    public var count: Int { bytes.count }
    public func read(at offset: Int, length: Int) throws -> [UInt8] {
        guard offset >= 0, length >= 0, offset <= bytes.count, length <= bytes.count - offset else {
            throw FormatError.truncated(needed: offset &+ length, available: bytes.count)
        }
        return Array(bytes[offset..<(offset + length)])
    }
}

/// Bytes of a file on disk, read with pread; the file is never loaded whole.
public final class FileBytes: ByteReader, @unchecked Sendable {
    private let fd: Int32
    public let count: Int

    public init(path: String) throws {
        let (fd, size) = try openForReading(path)
        self.fd = fd
        self.count = Int(size)
    }

    deinit { close(fd) }

    /// Up to `count` bytes at `offset` (fewer at the end of the file), retried on EINTR; a
    /// failed read is `FormatError.io` naming `path`.
    func readSome(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64, path: String) throws -> Int {
        while true {
            let n = pread(fd, buffer, count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw FormatError.io(path: path, errno: errno) }
        }
    }

    public func read(at offset: Int, length: Int) throws -> [UInt8] {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else {
            throw FormatError.truncated(needed: offset &+ length, available: count)
        }
        var out = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let n = try out.withUnsafeMutableBytes { buf in
                try readSome(into: buf.baseAddress! + done, count: length - done, at: Int64(offset + done), path: "fd \(fd)")
            }
            if n == 0 { throw FormatError.truncated(needed: offset + length, available: offset + done) }
            done += n
        }
        return out
    }
}

/// Opens `path` read-only and returns the descriptor (the caller closes it) and the file's size.
func openForReading(_ path: String) throws -> (fd: Int32, size: Int64) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FormatError.io(path: path, errno: errno) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
        let e = errno
        close(fd)
        throw FormatError.io(path: path, errno: e)
    }
    return (fd, Int64(st.st_size))
}
