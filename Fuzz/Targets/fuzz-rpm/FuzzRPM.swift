import Foundation
import PkgfsFormats
import PkgfsModel

/// The RPM lead/signature/header reader on any bytes: it must throw a FormatError or return a
/// package, never trap, and what it returns must be usable by the rest of pkgfs (digest check,
/// meta.json encoding, directory names, version ordering).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRPM(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let reader = MemoryBytes(bytes)
    if let headers = try? RPMHeaders(reader: reader) {
        // Every validated entry decodes without going out of bounds.
        for header in [headers.signature, headers.header] {
            for entry in header.entries {
                _ = header.value(entry.tag)
                _ = header.rawData(entry.tag)
            }
        }
    }
    guard let package = try? RPMPackage(reader: reader) else { return 0 }
    _ = try? package.verifyDigests(reader: reader)
    _ = try? JSONEncoder().encode(package)
    for part in [package.name, package.version, package.release, package.arch ?? "", package.os ?? ""] {
        let safe = PathComponent.safe(part)
        check(!safe.isEmpty && safe != "." && safe != ".." && !safe.unicodeScalars.contains("/")
                  && !safe.unicodeScalars.contains("\0") && safe.utf8.count <= 255,
              "PathComponent.safe(\(part.debugDescription)) = \(safe.debugDescription)")
    }
    let evr = package.evr
    check(VersionOrder.compare(evr, evr, scheme: .rpm) == 0, "rpmvercmp(\(evr), itself) != 0")
    return 0
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant violated: \(message())") }
}
