/// How pkgfs understood the bytes of an upload.
public enum PackageFormat: String, Sendable, Codable, CaseIterable {
    case rpm, deb, bundle, archive, file

    /// The version ordering that decides listing order and `latest`.
    public var versionScheme: VersionScheme {
        switch self {
        case .deb: return .dpkg
        case .bundle: return .semver
        case .rpm, .archive, .file: return .rpm
        }
    }
}
