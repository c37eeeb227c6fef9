import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import PkgfsModel
import PkgfsStore

/// An open blob, checked against the size its package has, that a download body reads from:
/// the descriptor keeps the bytes of a package deleted meanwhile, as an open file does.
final class BlobDescriptor: Sendable {
    private let fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// The blob of `package`, checked against its size (`Repository.openBlob`).
    static func open(_ package: Package, in repository: Repository) -> Result<BlobDescriptor, BlobFinding> {
        repository.openBlob(of: package).map(BlobDescriptor.init(fd:))
    }

    /// The bytes of `range`, read 128 KiB at a time on NIO's blocking-I/O pool (as Hummingbird's
    /// FileIO reads files), off the async pool.
    func body(_ range: ClosedRange<Int>) -> ResponseBody {
        ResponseBody(contentLength: range.count) { writer in
            var offset = range.lowerBound
            while offset <= range.upperBound {
                let (at, count) = (offset, min(128 << 10, range.upperBound - offset + 1))
                let chunk = try await NIOThreadPool.singleton.runIfActive { [self] in try read(at: at, count: count) }
                try await writer.write(chunk)
                offset += chunk.readableBytes
            }
            try await writer.finish(nil)
        }
    }

    private func read(at offset: Int, count: Int) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count)
        let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { space in
            max(0, pread(fd, space.baseAddress, count, off_t(offset)))
        }
        guard n > 0 else { throw BlobFinding(description: "the blob ended at \(offset) bytes", errno: nil) }
        return buffer
    }
}
