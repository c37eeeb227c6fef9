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
    // The streaming probe reads only the header intros; when it says where the sections end, a
    // full parse that succeeds must agree.
    let probe = bytes.withUnsafeBytes { RPMLayoutProbe(prefix: $0) }
    if case let .known(headerOffset, payloadOffset) = probe, let headers = try? RPMHeaders(reader: reader) {
        check(headers.header.offset == headerOffset && headers.payloadOffset == payloadOffset,
              "probe \(probe) but headers at \(headers.header.offset)..<\(headers.payloadOffset)")
        _ = try? headers.rangeDigests()
    }
    if case let .needs(count) = probe { check(count > bytes.count, "probe needs \(count) of \(bytes.count) bytes") }
    guard let package = try? RPMPackage(reader: reader) else { return 0 }
    _ = try? package.verifyDigests(reader: reader)
    // The payload listing from the header: a tree of normalized paths, or an error.
    if let listing = try? package.payloadListing() {
        let paths = Set(listing.map(\.path))
        for entry in listing {
            check(!entry.path.isEmpty && !entry.path.hasPrefix("/") && !entry.path.split(separator: "/").contains(".."),
                  "listed path \(entry.path.debugDescription)")
            if let slash = entry.path.lastIndex(of: "/") {
                check(paths.contains(String(entry.path[..<slash])), "no parent for \(entry.path.debugDescription)")
            }
        }
    }
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
