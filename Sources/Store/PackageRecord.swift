import Foundation
import GRDB
import PkgfsModel

/// A row of the `package` table. `Package` is the model; this is how it is stored,
/// with the directory names the tree shows already made safe.
struct PackageRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "package"

    var id: Int64?
    var uuid: String
    var fileName: String
    var name: String
    var fileExtension: String
    var size: Int64
    var sha1: String
    var sha256: String
    var type: String
    var version: String
    var buildNumber: String
    var operatingSystem: String
    var architecture: String
    var format: String
    var epoch: Int?
    var release: String?
    var state: String
    var stateDetails: String
    var labels: String
    var createdAt: Double
    var modifiedAt: Double
    var createdBy: String
    var modifiedBy: String
    var formatDetails: String?
    var dirType: String
    var dirOS: String
    var dirArch: String
    var dirVersion: String
    var dirName: String

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    init(_ p: Package) {
        id = p.id == 0 ? nil : p.id
        uuid = p.uuid
        fileName = p.fileName
        name = p.name
        fileExtension = p.fileExtension
        size = p.size
        sha1 = p.sha1
        sha256 = p.sha256
        type = p.type
        version = p.version
        buildNumber = p.buildNumber
        operatingSystem = p.operatingSystem
        architecture = p.architecture
        format = p.format.rawValue
        epoch = p.epoch
        release = p.release
        state = p.state.rawValue
        stateDetails = JSONText.encode(p.stateDetails)
        labels = JSONText.encode(p.labels)
        createdAt = p.createdAt.timeIntervalSince1970
        modifiedAt = p.modifiedAt.timeIntervalSince1970
        createdBy = p.createdBy
        modifiedBy = p.modifiedBy
        formatDetails = p.formatDetailsJSON
        dirType = PathComponent.safe(p.type)
        dirOS = PathComponent.safe(p.operatingSystem)
        dirArch = PathComponent.safe(p.architecture)
        dirVersion = PathComponent.safe(p.version)
        dirName = PathComponent.safe(p.directoryName)
    }

    var package: Package {
        Package(id: id ?? 0, name: name, fileName: fileName, fileExtension: fileExtension, size: size,
                sha1: sha1, type: type, version: version, buildNumber: buildNumber,
                operatingSystem: operatingSystem, architecture: architecture, uuid: uuid, sha256: sha256,
                format: PackageFormat(rawValue: format) ?? .file, epoch: epoch, release: release,
                state: PackageState(rawValue: state) ?? .corrupt,
                stateDetails: JSONText.decode([StateDetail].self, stateDetails) ?? [],
                labels: JSONText.decode([Label].self, labels) ?? [],
                createdAt: Date(timeIntervalSince1970: createdAt),
                modifiedAt: Date(timeIntervalSince1970: modifiedAt),
                createdBy: createdBy, modifiedBy: modifiedBy, formatDetailsJSON: formatDetails)
    }

    /// Where the package lives in the tree.
    var location: PackageLocation {
        PackageLocation(type: dirType, os: dirOS, arch: dirArch, version: dirVersion, name: dirName)
    }
}

enum JSONText {
    static func encode<T: Encodable>(_ value: T) -> String {
        guard let data = try? JSONEncoder().encode(value) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
