import Foundation
import PkgfsFormats

/// A whole bundle upload (tar or tar.gz with package.json at its root) through
/// BundleVerifier.verify, as registration runs it: libarchive listing with the payload limits,
/// the manifest, the field checks, image and artifact lookup and digests. It never throws;
/// it must never trap or hang either. The input goes to a file because the verifier reads
/// paths (it streams multi-GiB bundles).
let inputPath: String = {
    let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return "\(dir)/pkgfs-fuzz-bundle-\(getpid())"
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let fd = open(inputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("cannot write \(inputPath)") }
    var done = 0
    while done < size, let data {
        let n = write(fd, data + done, size - done)
        guard n > 0 else { fatalError("cannot write \(inputPath)") }
        done += n
    }
    close(fd)
    _ = BundleVerifier.isBundle(path: inputPath)
    let result = BundleVerifier.verify(path: inputPath)
    _ = try? JSONEncoder().encode(result.manifest)
    return 0
}
