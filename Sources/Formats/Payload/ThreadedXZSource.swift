import CArchive
import Foundation

/// An xz stream in a byte range of a file, handed to libarchive through client callbacks as the
/// archive it holds, decompressed by liblzma's multithreaded decoder. Streams made of several
/// blocks (dpkg-deb and `xz -T` write them) are decoded a block per CPU; a single-block stream
/// decodes as fast as libarchive's own xz filter would. libarchive sees a plain tar.
///
/// For listing a whole payload at once (a deb's `data.tar.xz`, a `.tar.xz`), not for the
/// readers that stay open: each decoder keeps its threads and their buffers.
final class ThreadedXZSource: ArchiveSource {
    private let file: FileRange
    /// Compressed bytes read so far.
    private var position: Int64 = 0
    private var stream = lzma_stream()
    private let input: UnsafeMutablePointer<UInt8>
    private let output: UnsafeMutablePointer<UInt8>
    private static let bufferSize = 1 << 20
    private var ended = false
    private(set) var failure: FormatError?
    private let format: String

    static let magic: [UInt8] = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]

    init(_ file: FileRange, format: String) throws {
        var options = lzma_mt()
        options.flags = 0x08  // LZMA_CONCATENATED (a macro Swift does not import): streams one after another, as xz reads them
        options.threads = UInt32(max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4)))
        // Past 512 MiB of buffers the decoder works on one thread; past 1 GiB (libarchive's own
        // limit for its xz filter: a hostile header can ask for a dictionary that large) it fails.
        options.memlimit_threading = 512 << 20
        options.memlimit_stop = 1 << 30
        let ret = lzma_stream_decoder_mt(&stream, &options)
        guard ret == LZMA_OK else {
            throw FormatError.invalid(format: format, reason: "xz: the decoder could not start (\(ret.rawValue))")
        }
        self.file = file
        self.format = format
        input = .allocate(capacity: Self.bufferSize)
        output = .allocate(capacity: Self.bufferSize)
    }

    deinit {
        lzma_end(&stream)
        input.deallocate()
        output.deallocate()
    }

    func attach(to archive: OpaquePointer) -> Int32 {
        archive_read_set_callback_data(archive, Unmanaged.passUnretained(self).toOpaque())
        archive_read_set_read_callback(archive, { _, ctx, out in
            Unmanaged<ThreadedXZSource>.fromOpaque(ctx!).takeUnretainedValue().readChunk(out)
        })
        return archive_read_open1(archive)
    }

    /// A tar ends before its xz stream does (the stream's index and footer follow): decodes the
    /// rest, so that a cut or damaged end is a failure too.
    func readToEnd() throws {
        var out: UnsafeRawPointer?
        while readChunk(&out) > 0 {}
        if let failure { throw failure }
    }

    /// The next decompressed bytes: at least one unless the stream has ended (0) or failed (-1).
    private func readChunk(_ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t {
        out?.pointee = UnsafeRawPointer(output)
        if ended || failure != nil { return failure == nil ? 0 : -1 }
        stream.next_out = output
        stream.avail_out = Self.bufferSize
        while stream.avail_out == Self.bufferSize {
            if stream.avail_in == 0 && position < file.length {
                let n: Int
                do {
                    n = try file.read(into: input, count: Self.bufferSize, at: position)
                } catch {
                    failure = error as? FormatError
                    return -1
                }
                if n == 0 {
                    failure = .truncated(needed: Int(file.start + file.length), available: Int(file.start + position))
                    return -1
                }
                position += Int64(n)
                stream.next_in = UnsafePointer(input)
                stream.avail_in = n
            }
            let action = stream.avail_in == 0 && position >= file.length ? LZMA_FINISH : LZMA_RUN
            let ret = lzma_code(&stream, action)
            if ret == LZMA_STREAM_END {
                ended = true
                break
            }
            if ret != LZMA_OK {
                failure = .invalid(format: format, reason: "xz: \(Self.describe(ret))")
                return -1
            }
        }
        return la_ssize_t(Self.bufferSize - stream.avail_out)
    }

    private static func describe(_ ret: lzma_ret) -> String {
        switch ret {
        case LZMA_DATA_ERROR: return "compressed data is corrupt"
        case LZMA_BUF_ERROR: return "compressed data is truncated"
        case LZMA_FORMAT_ERROR: return "not in the .xz format"
        case LZMA_OPTIONS_ERROR: return "unsupported compression options"
        case LZMA_MEM_ERROR, LZMA_MEMLIMIT_ERROR: return "out of memory"
        case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check"
        default: return "decoder error \(ret.rawValue)"
        }
    }
}
