import CArchive
import Foundation

/// A byte range of a file that libarchive reads through client callbacks with `pread`,
/// so a member of a container (the data.tar inside a .deb) streams like a whole file and
/// nothing is copied to memory or disk. The range is checked against the file size when
/// the source is made; libarchive sees a file of exactly `length` bytes.
final class FileRangeSource: ArchiveSource {
    let file: FileRange
    private var position: Int64 = 0
    private let buffer: UnsafeMutableRawPointer
    private let bufferSize = 128 * 1024
    /// The last failed read, reported instead of libarchive's generic message.
    private(set) var failure: FormatError?

    init(_ file: FileRange) {
        self.file = file
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    /// Attaches this source to a new (not yet opened) archive and opens it.
    /// The caller keeps `self` alive as long as the archive.
    func attach(to archive: OpaquePointer) -> Int32 {
        archive_read_set_callback_data(archive, Unmanaged.passUnretained(self).toOpaque())
        archive_read_set_read_callback(archive, { _, ctx, out in
            let source = Unmanaged<FileRangeSource>.fromOpaque(ctx!).takeUnretainedValue()
            return source.readChunk(out)
        })
        archive_read_set_skip_callback(archive, { _, ctx, request in
            let source = Unmanaged<FileRangeSource>.fromOpaque(ctx!).takeUnretainedValue()
            return source.skip(request)
        })
        archive_read_set_seek_callback(archive, { _, ctx, offset, whence in
            let source = Unmanaged<FileRangeSource>.fromOpaque(ctx!).takeUnretainedValue()
            return source.seek(offset, whence: whence)
        })
        return archive_read_open1(archive)
    }

    private func readChunk(_ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t {
        out?.pointee = UnsafeRawPointer(buffer)
        do {
            let n = try file.read(into: buffer, count: bufferSize, at: position)
            position += Int64(n)
            return la_ssize_t(n)
        } catch {
            failure = error as? FormatError
            return -1
        }
    }

    private func skip(_ request: la_int64_t) -> la_int64_t {
        let n = max(0, min(Int64(request), file.length - position))
        position += n
        return la_int64_t(n)
    }

    private func seek(_ offset: la_int64_t, whence: Int32) -> la_int64_t {
        let base: Int64
        switch whence {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = position
        case SEEK_END: base = file.length
        default: return la_int64_t(ARCHIVE_FATAL)
        }
        let target = base + Int64(offset)
        guard target >= 0 else { return la_int64_t(ARCHIVE_FATAL) }
        position = target
        return la_int64_t(position)
    }
}

/// What libarchive reads an archive from, through client callbacks.
protocol ArchiveSource: AnyObject {
    /// Attaches to a new (not yet opened) archive and opens it. The caller keeps the source alive
    /// as long as the archive.
    func attach(to archive: OpaquePointer) -> Int32
    /// What went wrong below libarchive (a failed read, a corrupt compressed stream), if anything:
    /// reported instead of libarchive's generic message.
    var failure: FormatError? { get }
    /// Reads what libarchive left once the archive has ended, for a source that can tell
    /// whether that rest is sound (a compressed stream's final check and index).
    func readToEnd() throws
}

extension ArchiveSource {
    func readToEnd() throws {}
}

/// A byte range of an open file, checked against the file's size, read with `pread`. Ranges
/// made from one `FileBytes` share its descriptor, so they read on after the file is unlinked.
final class FileRange {
    let path: String
    let start: Int64
    let length: Int64
    private let file: FileBytes

    /// `length` nil: to the end of the file.
    convenience init(path: String, start: Int64 = 0, length: Int64? = nil) throws {
        try self.init(file: FileBytes(path: path), path: path, start: start, length: length)
    }

    /// A range of `file`, opened from `path` (named in errors).
    init(file: FileBytes, path: String, start: Int64 = 0, length: Int64? = nil) throws {
        let fileSize = Int64(file.count)
        let len = length ?? (fileSize - start)
        guard start >= 0, len >= 0, start <= fileSize, len <= fileSize - start else {
            throw FormatError.truncated(needed: Int(start &+ len), available: Int(fileSize))
        }
        self.path = path
        self.file = file
        self.start = start
        self.length = len
    }

    /// Up to `count` bytes from `position` of the range (0 at its end); a failed read is
    /// `FormatError.io`.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at position: Int64) throws -> Int {
        let want = Int(max(0, min(Int64(count), length - position)))
        if want == 0 { return 0 }
        return try file.readSome(into: buffer, count: want, at: start + position, path: path)
    }

    /// Whether the range begins with `prefix`.
    func starts(with prefix: [UInt8]) -> Bool {
        var head = [UInt8](repeating: 0, count: prefix.count)
        let n = (try? head.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: prefix.count, at: 0) }) ?? 0
        return n == prefix.count && head == prefix
    }
}
