import PkgfsModel

/// A package's place in the tree: `<type>/<os>/<arch>/<version>/<name>/`, each a safe path component.
public struct PackageLocation: Sendable, Hashable {
    public var type: String
    public var os: String
    public var arch: String
    public var version: String
    public var name: String

    public init(type: String, os: String, arch: String, version: String, name: String) {
        self.type = type
        self.os = os
        self.arch = arch
        self.version = version
        self.name = name
    }

    /// Where `package` is filed: its fields made safe path components. A package whose name is
    /// taken by another file is filed under its file name instead (`Repository.register`).
    public init(of package: Package) {
        self.init(type: PathComponent.safe(package.type, reserved: Self.rootNames),
                  os: PathComponent.safe(package.operatingSystem),
                  arch: PathComponent.safe(package.architecture),
                  version: PathComponent.safe(package.version, reserved: [Self.latestName]),
                  name: PathComponent.safe(package.directoryName))
    }

    /// The tree's own names beside the type directories, and beside the version directories.
    public static let rootNames: Set<String> = ["incoming", "by-id", "by-sha1", "by-sha256", "search"]
    public static let latestName = "latest"

    /// Relative path from the mount root.
    public var path: String { "\(type)/\(os)/\(arch)/\(version)/\(name)" }
}

/// What the tree needs to show a package without loading the whole model.
public struct PackageSummary: Sendable, Hashable {
    public var id: Int64
    public var uuid: String
    public var fileName: String
    public var size: Int64
    public var format: String
    public var version: String
    public var createdAt: Double
    public var modifiedAt: Double
    public var state: PackageState
    public var location: PackageLocation
    /// Whether its payload is listed (the package directory then holds `files/`): read with the
    /// summary, so listing a package directory takes no catalog read of its own for it.
    public var hasPayload: Bool = false
}

/// One package found by a search, as search/<keyword>/ lists it.
public struct SearchHit: Sendable, Hashable {
    public var id: Int64
    public var createdAt: Double
    public var location: PackageLocation

    /// The package directory's name, which search/<keyword>/ lists.
    public var name: String { location.name }
}
