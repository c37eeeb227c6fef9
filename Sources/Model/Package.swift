import Foundation

/// One registered upload: the OCP `SoftwarePackageMeta` fields, the Astra package resource's
/// state and metadata, and pkgfs's additions (SPEC §1).
public struct Package: Sendable, Equatable {
    // OCP SoftwarePackageMeta
    public var id: Int64
    public var name: String
    public var fileName: String
    public var fileExtension: String
    public var size: Int64
    public var sha1: String
    public var type: String
    public var version: String
    public var buildNumber: String
    public var operatingSystem: String
    public var architecture: String
    // pkgfs additions
    public var uuid: String
    public var sha256: String
    public var format: PackageFormat
    public var epoch: Int?
    public var release: String?
    // Astra state and metadata
    public var state: PackageState
    public var stateDetails: [StateDetail]
    public var labels: [Label]
    public var createdAt: Date
    public var modifiedAt: Date
    public var createdBy: String
    public var modifiedBy: String
    /// Format-specific data (`rpm`, `deb`, `bundle`, `archive`) as one JSON object, already encoded.
    public var formatDetailsJSON: String?

    public init(id: Int64 = 0, name: String, fileName: String, fileExtension: String, size: Int64,
                sha1: String, type: String, version: String, buildNumber: String,
                operatingSystem: String, architecture: String, uuid: String, sha256: String,
                format: PackageFormat, epoch: Int? = nil, release: String? = nil,
                state: PackageState, stateDetails: [StateDetail] = [], labels: [Label] = [],
                createdAt: Date, modifiedAt: Date, createdBy: String, modifiedBy: String,
                formatDetailsJSON: String? = nil) {
        self.id = id
        self.name = name
        self.fileName = fileName
        self.fileExtension = fileExtension
        self.size = size
        self.sha1 = sha1
        self.type = type
        self.version = version
        self.buildNumber = buildNumber
        self.operatingSystem = operatingSystem
        self.architecture = architecture
        self.uuid = uuid
        self.sha256 = sha256
        self.format = format
        self.epoch = epoch
        self.release = release
        self.state = state
        self.stateDetails = stateDetails
        self.labels = labels
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
        self.createdBy = createdBy
        self.modifiedBy = modifiedBy
        self.formatDetailsJSON = formatDetailsJSON
    }

    /// The package directory's name: the file name without its extension.
    public var directoryName: String {
        let ext = fileExtension.isEmpty ? "" : "." + fileExtension
        return ext.isEmpty || !fileName.hasSuffix(ext) ? fileName : String(fileName.dropLast(ext.count))
    }
}

/// An Astra metadata label.
public struct Label: Sendable, Codable, Equatable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
