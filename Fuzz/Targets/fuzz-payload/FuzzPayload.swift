import Foundation
import PkgfsFormats

/// A tar (any compression libarchive detects) through listPayload and PayloadReader, as files/
/// shows it: a FormatError or a listing, never a trap or a hang, and the listing must be a
/// tree the mount can serve: normalized unique paths (no '..', no leading '/', no empty
/// component, valid UTF-8 by construction), every parent a directory entry, hard links to an
/// entry with bytes, and every file readable to exactly its size.
let inputPath: String = {
    let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return "\(dir)/pkgfs-fuzz-payload-\(getpid())"
}()

let limits = PayloadLimits(maxEntries: 2_000, maxTotalSize: 8 << 20, maxPathLength: 4096)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPayload(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let fd = open(inputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("cannot write \(inputPath)") }
    var done = 0
    while done < size, let data {
        let n = write(fd, data + done, size - done)
        guard n > 0 else { fatalError("cannot write \(inputPath)") }
        done += n
    }
    close(fd)
    guard let list = try? listPayload(path: inputPath, container: .tar, limits: limits) else { return 0 }
    var byPath: [String: PayloadEntry] = [:]
    for entry in list {
        let p = entry.path
        check(!p.isEmpty && !p.hasPrefix("/") && !p.hasSuffix("/"), "path \(p.debugDescription) not normalized")
        let parts = p.split(separator: "/", omittingEmptySubsequences: false)
        check(!parts.contains { $0.isEmpty || $0 == "." || $0 == ".." }, "path \(p.debugDescription) has a bad component")
        check(!p.unicodeScalars.contains("\0"), "NUL in \(p.debugDescription)")
        check(byPath.updateValue(entry, forKey: p) == nil, "path \(p.debugDescription) listed twice")
        if parts.count > 1 {
            let parent = parts.dropLast().joined(separator: "/")
            check(byPath[parent]?.kind == .directory, "parent of \(p.debugDescription) is not an earlier directory")
        }
        check(entry.size >= 0, "negative size for \(p.debugDescription)")
    }
    guard let reader = try? PayloadReader(path: inputPath, container: .tar) else { return 0 }
    for entry in list where entry.kind == .file || entry.kind == .hardlink {
        if entry.kind == .hardlink {
            let target = byPath[entry.linkTarget ?? ""]
            check(target?.kind == .file || target?.kind == .hardlink, "hard link \(entry.path.debugDescription) to nothing")
        }
        guard let bytes = try? reader.readAll(entry) else { continue }
        check(Int64(bytes.count) == entry.size, "\(entry.path.debugDescription): read \(bytes.count) bytes, listed \(entry.size)")
    }
    return 0
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant violated: \(message())") }
}
