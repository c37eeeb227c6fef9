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

    /// The table's columns in schema order (a test holds them to the migrated schema). Rows of
    /// `SELECT *` decode by position: by name, GRDB compares every name with every column.
    static let columnOrder = ["id", "uuid", "fileName", "name", "fileExtension", "size", "sha1", "sha256", "type",
                              "version", "buildNumber", "operatingSystem", "architecture", "format", "epoch",
                              "release", "state", "stateDetails", "labels", "createdAt", "modifiedAt", "createdBy",
                              "modifiedBy", "formatDetails", "dirType", "dirOS", "dirArch", "dirVersion", "dirName"]

    init(row: Row) throws {
        guard row.count == Self.columnOrder.count else {
            throw StoreError.io("a package row has \(row.count) columns, not \(Self.columnOrder.count)", errno: EIO)
        }
        id = row[0]; uuid = row[1]; fileName = row[2]; name = row[3]; fileExtension = row[4]; size = row[5]
        sha1 = row[6]; sha256 = row[7]; type = row[8]; version = row[9]; buildNumber = row[10]
        operatingSystem = row[11]; architecture = row[12]; format = row[13]; epoch = row[14]; release = row[15]
        state = row[16]; stateDetails = row[17]; labels = row[18]; createdAt = row[19]; modifiedAt = row[20]
        createdBy = row[21]; modifiedBy = row[22]; formatDetails = row[23]
        dirType = row[24]; dirOS = row[25]; dirArch = row[26]; dirVersion = row[27]; dirName = row[28]
    }

    /// The row's values in `columnOrder`.
    var columnValues: [(any DatabaseValueConvertible)?] {
        [id, uuid, fileName, name, fileExtension, size, sha1, sha256, type,
         version, buildNumber, operatingSystem, architecture, format, epoch,
         release, state, stateDetails, labels, createdAt, modifiedAt, createdBy,
         modifiedBy, formatDetails, dirType, dirOS, dirArch, dirVersion, dirName]
    }

    /// An INSERT of every column in `columnOrder`; a nil `id` lets SQLite assign one.
    static let insertSQL = "INSERT INTO \(databaseTableName) (\(columnOrder.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columnOrder.count).joined(separator: ", ")))"

    /// Inserts the row with a prepared statement the connection keeps, and sets `id`.
    /// GRDB's `insert` builds the row through Encodable and key paths on every call: about a
    /// fifth of a 50 KiB upload's catalog work.
    mutating func insertRow(_ db: Database) throws {
        try db.cachedStatement(sql: Self.insertSQL).execute(arguments: StatementArguments(columnValues))
        id = db.lastInsertedRowID
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
        let place = PackageLocation(of: p)
        dirType = place.type
        dirOS = place.os
        dirArch = place.arch
        dirVersion = place.version
        dirName = place.name
    }

    var package: Package {
        Package(id: id ?? 0, name: name, fileName: fileName, fileExtension: fileExtension, size: size,
                sha1: sha1, type: type, version: version, buildNumber: buildNumber,
                operatingSystem: operatingSystem, architecture: architecture, uuid: uuid, sha256: sha256,
                format: PackageFormat(rawValue: format) ?? .file, epoch: epoch, release: release,
                state: PackageState(rawValue: state) ?? .corrupt,
                stateDetails: JSONText.decodeList(StateDetail.self, stateDetails) ?? [],
                labels: JSONText.decodeList(Label.self, labels) ?? [],
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
        (try? CompactJSONEncoder.encode(value)) ?? "[]"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// Most packages have no labels and no state details: "[]" needs no decoder.
    static func decodeList<T: Decodable>(_ type: T.Type, _ text: String) -> [T]? {
        text == "[]" ? [] : decode([T].self, text)
    }
}
