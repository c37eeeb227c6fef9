import Foundation
import PkgfsFormats
import PkgfsModel

/// The Astra bundle manifest reader (package.json) on any bytes: BundleManifest.decode must
/// throw a FormatError or return a manifest; the field limit checks, the inline files' base64
/// and the version rules must then run without trapping on whatever the manifest holds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundleManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let manifest = try? BundleManifest.decode(bytes) else { return 0 }
    _ = BundleFieldLimits.check(manifest)
    for file in manifest.files ?? [] { _ = try? file.decodedContents() }
    for image in manifest.images ?? [] {
        _ = BundleLayout.imageCandidates(image)
        _ = BundleLayout.primaryImagePath(image)
    }
    for artifact in manifest.artifacts ?? [] { _ = BundleLayout.artifactCandidates(artifact) }
    _ = try? JSONEncoder().encode(manifest)
    let v = manifest.packageVersion
    if let parsed = SemVer(v) {
        check(VersionOrder.compare(v, v, scheme: .semver) == 0, "semver compare(\(v.debugDescription), itself) != 0 (\(parsed))")
    }
    for part in [manifest.packageName, manifest.packageVersion] {
        let safe = PathComponent.safe(part)
        check(!safe.isEmpty && safe != "." && safe != ".." && !safe.unicodeScalars.contains("/")
                  && !safe.unicodeScalars.contains("\0") && safe.utf8.count <= 255,
              "PathComponent.safe(\(part.debugDescription)) = \(safe.debugDescription)")
    }
    return 0
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant violated: \(message())") }
}
