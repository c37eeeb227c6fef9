import Foundation
import PkgfsFormats
import PkgfsModel

/// The .deb reader (ar container, debian-binary, control.tar through libarchive, the control
/// paragraph, the version) on any bytes: a FormatError or a package, never a trap, and what it
/// returns must be usable by the rest of pkgfs (meta.json encoding, directory names, ordering).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDeb(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let deb = try? DebPackage.parse(MemoryBytes(bytes)) else { return 0 }
    _ = try? JSONEncoder().encode(deb)
    check(deb.dataOffset >= 0 && deb.dataSize >= 0 && deb.dataOffset <= bytes.count - deb.dataSize,
          "data.tar at \(deb.dataOffset)+\(deb.dataSize) outside \(bytes.count) bytes")
    for part in [deb.package, deb.version, deb.architecture ?? "", deb.upstreamVersion] {
        let safe = PathComponent.safe(part)
        check(!safe.isEmpty && safe != "." && safe != ".." && !safe.unicodeScalars.contains("/")
                  && !safe.unicodeScalars.contains("\0") && safe.utf8.count <= 255,
              "PathComponent.safe(\(part.debugDescription)) = \(safe.debugDescription)")
    }
    check(VersionOrder.compare(deb.version, deb.version, scheme: .dpkg) == 0,
          "dpkg compare(\(deb.version.debugDescription), itself) != 0")
    return 0
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant violated: \(message())") }
}
