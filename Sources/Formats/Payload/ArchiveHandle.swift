import CArchive
import Foundation

/// One libarchive read handle, configured for a payload container and owned by Swift:
/// freed on deinit, errors turned into `FormatError`.
///
/// Only built-in decompressors are enabled (gzip, bzip2, xz, lzma, lzip, zstd, lz4,
/// compress); libarchive's fallbacks that run external programs are not.
final class ArchiveHandle {
    let archive: OpaquePointer
    /// Names the format in error messages ("rpm payload", "tar", "zip", "deb data.tar").
    let format: String
    private let source: (any ArchiveSource)?
    private let memory: UnsafeMutableRawBufferPointer?

    enum Reads { case cpio, tar, zip }

    /// Opens the file at `path` whole.
    convenience init(path: String, format: String, reads: Reads) throws {
        try self.init(file: FileRange(path: path), format: format, reads: reads)
    }

    /// Opens `file`, a range of an open file. `threadedXZ`: an xz stream there is decoded by
    /// `ThreadedXZSource` (a block per CPU) rather than by libarchive.
    init(file: FileRange, format: String, reads: Reads, rpm: Bool = false, threadedXZ: Bool = false) throws {
        guard let a = archive_read_new() else {
            throw FormatError.invalid(format: format, reason: "libarchive could not allocate a reader")
        }
        ArchiveHandle.configure(a, reads: reads, rpm: rpm)
        let src: any ArchiveSource
        do {
            src = threadedXZ && file.starts(with: ThreadedXZSource.magic)
                ? try ThreadedXZSource(file, format: format)
                : FileRangeSource(file)
        } catch {
            archive_read_free(a)
            throw error
        }
        self.archive = a
        self.format = format
        self.source = src
        self.memory = nil
        let rc = src.attach(to: a)
        if rc != ARCHIVE_OK && rc != ARCHIVE_WARN { throw failure() }
    }

    /// Opens a copy of `bytes` (small inputs only: the control.tar of a deb).
    init(bytes: [UInt8], format: String, reads: Reads) throws {
        guard let a = archive_read_new() else {
            throw FormatError.invalid(format: format, reason: "libarchive could not allocate a reader")
        }
        ArchiveHandle.configure(a, reads: reads, rpm: false)
        let mem = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { src in
            if let base = src.baseAddress { mem.baseAddress!.copyMemory(from: base, byteCount: src.count) }
        }
        self.archive = a
        self.format = format
        self.source = nil
        self.memory = mem
        let rc = archive_read_open_memory(a, mem.baseAddress, bytes.count)
        if rc != ARCHIVE_OK && rc != ARCHIVE_WARN { throw failure() }
    }

    deinit {
        archive_read_free(archive)
        memory?.deallocate()
    }

    private static func configure(_ a: OpaquePointer, reads: Reads, rpm: Bool) {
        if rpm { archive_read_support_filter_rpm(a) }
        archive_read_support_filter_gzip(a)
        archive_read_support_filter_bzip2(a)
        archive_read_support_filter_xz(a)
        archive_read_support_filter_lzma(a)
        archive_read_support_filter_lzip(a)
        archive_read_support_filter_zstd(a)
        archive_read_support_filter_lz4(a)
        archive_read_support_filter_compress(a)
        switch reads {
        case .cpio: archive_read_support_format_cpio(a)
        case .tar: archive_read_support_format_tar(a)
        case .zip: archive_read_support_format_zip(a)
        }
    }

    /// After the last header: whether what follows the archive in its source is sound.
    func readSourceToEnd() throws {
        try source?.readToEnd()
    }

    /// The error libarchive (or the file under it) reported, as a `FormatError`.
    func failure() -> FormatError {
        if let failure = source?.failure { return failure }
        let message = archive_error_string(archive).map { String(cString: $0) }
            ?? "libarchive failed without a message"
        return .invalid(format: format, reason: message)
    }

    /// The next header, or nil at the end of the archive.
    /// The returned entry is owned by the archive and valid until the next call.
    func nextHeader() throws -> OpaquePointer? {
        var entry: OpaquePointer?
        let rc = archive_read_next_header(archive, &entry)
        switch rc {
        case ARCHIVE_OK, ARCHIVE_WARN: return entry
        case ARCHIVE_EOF: return nil
        default: throw failure()
        }
    }

    /// Up to `count` bytes of the current entry's data into `buffer`; 0 at its end.
    func readData(_ buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        let n = archive_read_data(archive, buffer, count)
        if n >= 0 { return n }
        throw failure()
    }

    /// Skips the rest of the current entry's data.
    func skipData() throws {
        let rc = archive_read_data_skip(archive)
        if rc != ARCHIVE_OK && rc != ARCHIVE_WARN && rc != ARCHIVE_EOF { throw failure() }
    }
}
