import Foundation
import GRDB
import PkgfsFormats
import PkgfsModel

/// What registering an upload did.
public enum RegistrationOutcome: Sendable {
    case registered(Package)
    /// Same file name, same bytes, already available: nothing new stored.
    case alreadyPresent(Package)
    /// Replaced a corrupt or incomplete package of the same file name.
    case replaced(old: Package, new: Package)

    public var package: Package {
        switch self {
        case let .registered(p), let .alreadyPresent(p), let .replaced(_, p): return p
        }
    }
}

extension Catalog {
    /// Runs `body` holding the catalog's single writer, in one transaction, then `after`
    /// still holding it. Blob files are adopted in `body` and freed in `after`, so a blob is
    /// never freed between another upload's adoption of it and that upload's commit.
    func exclusive<T>(_ body: (Database) throws -> T, after: (T) -> Void = { _ in }) throws -> T {
        do {
            return try pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction {
                    result = try body(db)
                    return .commit
                }
                after(result!)
                return result!
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_FULL {
                throw StoreError.noSpace("catalog: disk full")
            }
            throw StoreError.io("catalog write failed: \(error.message ?? "\(error)")", errno: EIO)
        }
    }

    // The three checks every upload makes, as cached statements: the query interface
    // would build and compile their SQL again each time.
    func existing(fileName: String, _ db: Database) throws -> PackageRecord? {
        try PackageRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM package WHERE fileName = ?"),
                                   arguments: [fileName])
    }

    func isLocationTaken(_ record: PackageRecord, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM package
                           WHERE dirType = ? AND dirOS = ? AND dirArch = ? AND dirVersion = ? AND dirName = ?)
            """), arguments: [record.dirType, record.dirOS, record.dirArch, record.dirVersion, record.dirName]) ?? false
    }

    func isReferenced(sha256: String, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM package WHERE sha256 = ?)"),
                          arguments: [sha256]) ?? false
    }

    public func transition(id: Int64, to target: PackageState, details: [StateDetail]?,
                           by user: String, at date: Date = Date()) throws -> Package {
        try update(id: id, by: user, at: date) { record in
            let current = PackageState(rawValue: record.state) ?? .corrupt
            guard current.canTransition(to: target) else {
                throw StoreError.invalid("transition \(current.rawValue) → \(target.rawValue) is not allowed; from \(current.rawValue) only \(current.allowedTargets.map(\.rawValue).joined(separator: ", "))")
            }
            record.state = target.rawValue
            if let details { record.stateDetails = JSONText.encode(details) }
        }
    }

    /// Changes the labels of package `id` in one transaction: two label writers at once (the
    /// mount and the HTTP API, or two `setfattr`) both keep their label.
    public func changeLabels(id: Int64, by user: String, at date: Date = Date(),
                             _ change: (inout [Label]) throws -> Void) throws -> Package {
        try update(id: id, by: user, at: date) { record in
            var labels = JSONText.decodeList(Label.self, record.labels) ?? []
            try change(&labels)
            record.labels = JSONText.encode(labels)
        }
    }

    /// A re-verification (`available` written) the bytes failed: the package takes `state` (no
    /// transition rule: it stays or becomes what its bytes are) and `details` say why.
    func failedVerification(id: Int64, state: PackageState, details: [StateDetail], by user: String) throws -> Package {
        try update(id: id, by: user) { record in
            record.state = state.rawValue
            record.stateDetails = JSONText.encode(details)
        }
    }

    /// A re-verification the bytes passed: `available`, no details, and the format data and
    /// payload listing it made, the listing only where none is recorded.
    func passedVerification(id: Int64, formatDetails: String?, payload: [PayloadEntry]?, container: PayloadContainer?,
                            by user: String) throws -> Package {
        try update(id: id, by: user) { record, db in
            record.state = PackageState.available.rawValue
            record.stateDetails = JSONText.encode([StateDetail]())
            if let formatDetails { record.formatDetails = formatDetails }
            if try payloadContainer(packageID: id, db) == nil {
                try recordPayload(payload, container: container, packageID: id, db)
            }
        }
    }

    /// Changes one package row in one transaction and stamps who changed it and when.
    private func update(id: Int64, by user: String, at date: Date = Date(),
                        _ change: (inout PackageRecord) throws -> Void) throws -> Package {
        try update(id: id, by: user, at: date) { record, _ in try change(&record) }
    }

    private func update(id: Int64, by user: String, at date: Date = Date(),
                        _ change: (inout PackageRecord, Database) throws -> Void) throws -> Package {
        try exclusive { db in
            guard var record = try PackageRecord.fetchOne(db, key: id) else {
                throw StoreError.notFound("no package with id \(id)")
            }
            try change(&record, db)
            // Strictly later, so whatever is cached by modification time is renewed.
            record.modifiedAt = max(date.timeIntervalSince1970, record.modifiedAt.nextUp)
            record.modifiedBy = user
            try record.update(db)
            return record.package
        }
    }

    public func removeReceipt(fileName: String) throws {
        _ = try exclusive { db in
            try db.execute(sql: "DELETE FROM receipt WHERE fileName = ?", arguments: [fileName])
        }
    }
}
