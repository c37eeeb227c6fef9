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

extension VersionScheme {
    /// The one scheme for ordering versions of several formats side by side (one arch
    /// directory holding debs and RPMs or tarballs): comparing each pair by its left side's
    /// rules is no order at all (dpkg puts `1.0+` above `1.0a`, rpm the reverse). dpkg when any
    /// is a deb (it reads an RPM's `epoch:version` alike), SemVer only when all are bundles, else rpm.
    public static func shared(by formats: some Sequence<PackageFormat>) -> VersionScheme {
        let schemes = Set(formats.map(\.versionScheme))
        if schemes.contains(.dpkg) { return .dpkg }
        return schemes == [.semver] ? .semver : .rpm
    }
}
