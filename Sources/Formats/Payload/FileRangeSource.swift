import CArchive
import Foundation

/// A byte range of a file that libarchive reads through client callbacks with `pread`,
/// so a member of a container (the data.tar inside a .deb) streams like a whole file and
/// nothing is copied to memory or disk. The range is checked against the file size when
/// the source is made; libarchive sees a file of exactly `length` bytes.
final class FileRangeSource: ArchiveSource {
    let path: String
    let start: Int64
    let length: Int64
    private let fd: Int32
    private var position: Int64 = 0
    private let buffer: UnsafeMutableRawPointer
    private let bufferSize = 128 * 1024
    /// errno of the last failed pread, reported instead of libarchive's generic message.
    private(set) var lastErrno: Int32 = 0

    init(path: String, start: Int64 = 0, length: Int64? = nil) throws {
        let range = try FileRange(path: path, start: start, length: length)
        self.path = path
        self.fd = range.fd
        self.start = range.start
        self.length = range.length
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
    }

    var failure: FormatError? { lastErrno != 0 ? .io(path: path, errno: lastErrno) : nil }

    deinit {
        close(fd)
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
        let want = Int(min(Int64(bufferSize), length - position))
        out?.pointee = UnsafeRawPointer(buffer)
        if want <= 0 { return 0 }
        while true {
            let n = pread(fd, buffer, want, off_t(start + position))
            if n < 0 {
                if errno == EINTR { continue }
                lastErrno = errno
                return -1
            }
            position += Int64(n)
            return la_ssize_t(n)
        }
    }

    private func skip(_ request: la_int64_t) -> la_int64_t {
        let n = max(0, min(Int64(request), length - position))
        position += n
        return la_int64_t(n)
    }

    private func seek(_ offset: la_int64_t, whence: Int32) -> la_int64_t {
        let base: Int64
        switch whence {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = position
        case SEEK_END: base = length
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
    var path: String { get }
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

/// An open file and a byte range of it, checked against the file's size.
struct FileRange {
    let fd: Int32
    let start: Int64
    let length: Int64

    /// `length` nil: to the end of the file. The caller closes `fd`.
    init(path: String, start: Int64, length: Int64?) throws {
        let (fd, fileSize) = try openForReading(path)
        let len = length ?? (fileSize - start)
        guard start >= 0, len >= 0, start <= fileSize, len <= fileSize - start else {
            close(fd)
            throw FormatError.truncated(needed: Int(start &+ len), available: Int(fileSize))
        }
        self.fd = fd
        self.start = start
        self.length = len
    }
}
