/// One entry of `artifacts[]`: a file (binary or other) shipped in the bundle.
/// Where it lies in the bundle is `BundleLayout.artifactCandidates(_:)`.
public struct BundleArtifact: Sendable, Codable, Equatable {
    /// The file's name; 1 to 63 characters.
    public var artifactName: String
    /// Stable identifier across versions; 1 to 511 characters.
    public var artifactIdentifier: String
    /// Path from the data-store root to the artifact, e.g. `/vmware/1.0/`; 1 to 1023
    /// characters.
    public var artifactPath: String
    /// SemVer (`BundleVersionRule.package`), 1 to 31 characters, when given.
    public var artifactVersion: String?
    /// pkgfs extension, not in the seed: `sha256:<64 hex>` of the artifact's bytes. When
    /// present it is checked like `imageDigest`.
    public var artifactDigest: String?
    /// Installed components this artifact needs.
    public var dependsOnComponents: [BundleComponentRequirement]?

    public init(artifactName: String, artifactIdentifier: String, artifactPath: String,
                artifactVersion: String? = nil, artifactDigest: String? = nil,
                dependsOnComponents: [BundleComponentRequirement]? = nil) {
        self.artifactName = artifactName
        self.artifactIdentifier = artifactIdentifier
        self.artifactPath = artifactPath
        self.artifactVersion = artifactVersion
        self.artifactDigest = artifactDigest
        self.dependsOnComponents = dependsOnComponents
    }
}

/// One entry of an artifact's `dependsOnComponents[]`.
public struct BundleComponentRequirement: Sendable, Codable, Equatable {
    /// `acc`, `acs`, `trident` or `kubernetes`.
    public var componentName: String
    /// Versions of the component the artifact needs (`BundleVersionRule.component`).
    public var version: [String]

    public init(componentName: String, version: [String]) {
        self.componentName = componentName
        self.version = version
    }
}
