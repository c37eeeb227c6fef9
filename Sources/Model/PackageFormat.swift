/// How pkgfs understood the bytes of an upload.
public enum PackageFormat: String, Sendable, Codable, CaseIterable {
    case rpm, deb, bundle, archive, file
}
