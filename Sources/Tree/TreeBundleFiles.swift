import Foundation
import PkgfsFUSE
import PkgfsFormats
import PkgfsModel

/// A bundle's `files[]` entries carry their bytes inline (base64, as in the Astra seed). They
/// show in `files/` next to the bundle's members, under their `fileName`, decoded.
extension PackageTree {
    /// The decoded `files[]` of a bundle package, by file name; empty for other packages.
    func inlineFiles(of id: Int64) throws -> [(name: String, bytes: [UInt8])] {
        guard let package = try mapped({ try repository.catalog.package(id: id) }), package.format == .bundle,
              let json = package.formatDetailsJSON,
              let manifest = try? BundleManifest.decode(Array(json.utf8)) else { return [] }
        return (manifest.files ?? []).compactMap { file in
            guard let bytes = try? file.decodedContents(), !file.fileName.contains("/") else { return nil }
            return (file.fileName, bytes)
        }
    }

    func inlineFile(_ id: Int64, named name: String) throws -> [UInt8]? {
        try inlineFiles(of: id).first { $0.name == name }?.bytes
    }
}
