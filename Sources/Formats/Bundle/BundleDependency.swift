/// One entry of `dependencies[]`: the versions of an installed component this package
/// needs.
public struct BundleDependency: Sendable, Codable, Equatable {
    /// `acc`, `acs`, `trident` or `kubernetes`.
    public var componentName: String
    /// Lowest version needed (`BundleVersionRule.component`), e.g. `v1.19.7`.
    public var componentMinVersion: String?
    /// Highest version supported (`BundleVersionRule.component`), e.g. `v1.20`.
    public var componentMaxVersion: String?

    public init(componentName: String, componentMinVersion: String? = nil,
                componentMaxVersion: String? = nil) {
        self.componentName = componentName
        self.componentMinVersion = componentMinVersion
        self.componentMaxVersion = componentMaxVersion
    }
}

/// `upgradableVersions`: the range of installed versions this package can upgrade.
public struct BundleUpgradableVersions: Sendable, Codable, Equatable {
    /// SemVer (`BundleVersionRule.package`).
    public var minVersion: String?
    /// SemVer (`BundleVersionRule.package`).
    public var maxVersion: String?

    public init(minVersion: String? = nil, maxVersion: String? = nil) {
        self.minVersion = minVersion
        self.maxVersion = maxVersion
    }
}
