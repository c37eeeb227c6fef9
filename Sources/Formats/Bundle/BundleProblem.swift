import PkgfsModel

/// One thing wrong with a bundle, in words a person can act on. Each becomes one
/// `packageStateDetails` entry (`stateDetail`).
public struct BundleProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// Something `package.json` lists is not in the bundle: the package is
        /// `incomplete`, and uploading the complete bundle fixes it.
        case missing
        /// A member's SHA-256 differs from the digest `package.json` gives.
        case digest
        /// A field is outside the limits of the seed (length, enumeration, pattern,
        /// version syntax, UUID, base64), or names a path outside the bundle.
        case limit
        /// `package.json` is absent, unreadable, too large, or not a valid manifest.
        case manifest
        /// The archive itself cannot be read safely (libarchive error, path traversal,
        /// absolute path, entry count or size limits, truncated member).
        case archive
    }

    public var kind: Kind
    /// The `package.json` field concerned, e.g. `images[1].imageDigest`; nil when the
    /// problem is about the archive as a whole.
    public var field: String?
    public var title: String
    public var detail: String

    public init(kind: Kind, field: String? = nil, title: String, detail: String) {
        self.kind = kind
        self.field = field
        self.title = title
        self.detail = detail
    }

    /// True for everything but a missing member: the bytes, or the manifest, are wrong.
    public var makesCorrupt: Bool { kind != .missing }

    /// The `packageStateDetails` entry: `type` is the kind (`missing`, `digest`, `limit`,
    /// `manifest`, `archive`).
    public var stateDetail: StateDetail {
        StateDetail(type: kind.rawValue, title: title, detail: detail)
    }

    public var description: String { "\(kind.rawValue): \(title): \(detail)" }
}
