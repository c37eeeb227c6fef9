import PkgfsModel

/// The outcome of `BundleVerifier.verify(path:)`: the manifest (when it could be read)
/// and every problem found.
public struct BundleVerification: Sendable {
    /// `package.json`, decoded; nil when it is absent or unreadable.
    public var manifest: BundleManifest?
    /// In the order found: archive, manifest, field limits, then images and artifacts in
    /// `package.json` order.
    public var problems: [BundleProblem]
    /// The bundle's listing, as `listPayload(path:container: .tar)` returns it; nil when
    /// the archive could not be listed. The tree can show it without listing again.
    public var entries: [PayloadEntry]?
    /// Where each image and artifact was looked for and found, in `package.json` order.
    public var members: [BundleMember]

    public init(manifest: BundleManifest? = nil, problems: [BundleProblem] = [],
                entries: [PayloadEntry]? = nil, members: [BundleMember] = []) {
        self.manifest = manifest
        self.problems = problems
        self.entries = entries
        self.members = members
    }

    /// `available` with no problems; `incomplete` when every problem is a missing member;
    /// `corrupt` when any is a digest mismatch, a limit violation, or an unreadable
    /// manifest or archive.
    public var state: PackageState {
        if problems.isEmpty { return .available }
        return problems.contains(where: \.makesCorrupt) ? .corrupt : .incomplete
    }

    /// One `packageStateDetails` entry per problem.
    public var details: [StateDetail] { problems.map(\.stateDetail) }
}

/// An image or artifact of the manifest, resolved against the bundle's listing.
public struct BundleMember: Sendable, Equatable {
    public enum Role: String, Sendable, Equatable { case image, artifact }

    public var role: Role
    /// Index in `images[]` or `artifacts[]`.
    public var index: Int
    /// The bundle paths tried, in order (`BundleLayout`); empty when the manifest's path
    /// escapes the bundle.
    public var candidates: [String]
    /// The path found, or nil when missing.
    public var path: String?
    /// `sha256:<hex>` of the member's bytes, when it was hashed (images always; artifacts
    /// when they carry `artifactDigest`).
    public var sha256: String?

    public init(role: Role, index: Int, candidates: [String], path: String? = nil,
                sha256: String? = nil) {
        self.role = role
        self.index = index
        self.candidates = candidates
        self.path = path
        self.sha256 = sha256
    }
}
