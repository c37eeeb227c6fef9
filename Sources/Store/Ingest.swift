import Foundation
import GRDB
import PkgfsFormats
import PkgfsModel

/// The end of an upload: durable bytes → parse → one catalog transaction (SPEC §4).
extension Repository {
    /// Registers a finished upload. Returns the outcome; the package may be `corrupt` or
    /// `incomplete` (the caller reports EIO then). Throws `.conflict` when the file name is
    /// taken by an available package with other bytes (nothing is changed then), `.noSpace`
    /// or `.io` when the bytes could not be made durable (nothing is registered then).
    public func finishUpload(_ session: UploadSession) throws -> RegistrationOutcome {
        let sealed: SealedUpload
        do {
            sealed = try session.seal()
        } catch {
            session.discard()
            throw error
        }
        var analysis = analyzer.analyze(path: sealed.temporaryPath, fileName: session.fileName, size: sealed.size)
        for (algorithm, hex) in sealed.expected.sorted(by: { $0.key < $1.key }) {
            let actual = algorithm == "sha1" ? sealed.sha1 : sealed.sha256
            if hex != actual {
                analysis.problems.append(StateDetail(
                    type: "digest", title: "\(algorithm.uppercased()) mismatch",
                    detail: "expected \(algorithm) \(hex) was set before close, the uploaded bytes have \(actual)"))
                analysis.failureState = .corrupt
            }
        }
        let now = Date()
        let candidate = Package(
            name: analysis.name, fileName: session.fileName, fileExtension: analysis.fileExtension,
            size: sealed.size, sha1: sealed.sha1,
            type: analysis.format == .bundle ? PackageType.astra : typeRules.type(forName: analysis.name),
            version: analysis.version, buildNumber: analysis.buildNumber,
            operatingSystem: analysis.operatingSystem, architecture: analysis.architecture,
            uuid: UUID().uuidString.lowercased(), sha256: sealed.sha256, format: analysis.format,
            epoch: analysis.epoch, release: analysis.release, state: analysis.state,
            stateDetails: analysis.problems, createdAt: now, modifiedAt: now,
            createdBy: session.uploader, modifiedBy: session.uploader,
            formatDetailsJSON: analysis.formatDetailsJSON)
        do {
            let outcome = try register(candidate, payload: analysis.payload, container: analysis.payloadContainer,
                                       from: sealed.temporaryPath)
            log(outcome)
            return outcome
        } catch {
            session.discard()
            throw error
        }
    }

    private func register(_ candidate: Package, payload: [PayloadEntry]?, container: PayloadContainer?,
                          from temporaryPath: String) throws -> RegistrationOutcome {
        var freedDigest: String?
        var notes = [blobs.notePending(sha256: candidate.sha256)]
        defer { notes.forEach { unlink($0) } }
        // A blob this call added before the catalog refused (a full disk at insert or commit)
        // is dropped again unless a package refers to it; it would stay behind unreferenced.
        var addedBlob = false
        var committed = false
        defer { if addedBlob && !committed { removeBlobIfUnreferenced(candidate.sha256) } }
        let outcome = try catalog.exclusive({ db -> RegistrationOutcome in
            var record = PackageRecord(candidate)
            let outcome: RegistrationOutcome
            if let existing = try catalog.existing(fileName: candidate.fileName, db) {
                let old = existing.package
                if old.state == .available {
                    guard old.sha256 == candidate.sha256 else {
                        throw StoreError.conflict(
                            "\(candidate.fileName) already exists as an available package with sha256 \(old.sha256); the upload has sha256 \(candidate.sha256). Delete the existing package first or upload under another name")
                    }
                    unlink(temporaryPath)
                    try Self.addReceipt(candidate.fileName, packageID: existing.id!, db)
                    return .alreadyPresent(old)
                }
                try existing.delete(db)
                freedDigest = old.sha256
                notes.append(blobs.notePending(sha256: old.sha256))
                outcome = .replaced(old: old, new: candidate)
            } else {
                outcome = .registered(candidate)
            }
            if try catalog.isLocationTaken(record, db) {
                // Two files whose names differ only in the extension: keep both, by full name.
                record.dirName = PathComponent.safe(candidate.fileName)
                if try catalog.isLocationTaken(record, db) {
                    throw StoreError.conflict("\(record.location.path) is already taken by another package")
                }
            }
            addedBlob = try blobs.adopt(temporaryPath: temporaryPath, sha256: candidate.sha256)
            try record.insert(db)
            try catalog.recordPayload(payload, container: container, packageID: record.id!, db)
            try Self.addReceipt(candidate.fileName, packageID: record.id!, db)
            if let digest = freedDigest, try catalog.isReferenced(sha256: digest, db) {
                freedDigest = nil
            }
            let stored = record.package
            switch outcome {
            case let .replaced(old, _): return .replaced(old: old, new: stored)
            default: return .registered(stored)
            }
        }, after: { _ in
            if let digest = freedDigest { self.blobs.remove(sha256: digest) }
        })
        committed = true
        return outcome
    }

    private func removeBlobIfUnreferenced(_ digest: String) {
        _ = try? catalog.exclusive({ db in try !self.catalog.isReferenced(sha256: digest, db) },
                                   after: { free in if free { self.blobs.remove(sha256: digest) } })
    }

    static func addReceipt(_ fileName: String, packageID: Int64, _ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO receipt (fileName, packageId) VALUES (?, ?)",
                       arguments: [fileName, packageID])
    }

    private func log(_ outcome: RegistrationOutcome) {
        let p = outcome.package
        let verb: String
        switch outcome {
        case .registered: verb = "registered"
        case .alreadyPresent: verb = "already present"
        case .replaced: verb = "replaced"
        }
        if p.state == .available {
            logger.info("\(verb) \(p.fileName) id=\(p.id) sha256=\(p.sha256) size=\(p.size)")
        } else {
            let reasons = p.stateDetails.map { "\($0.title): \($0.detail)" }.joined(separator: "; ")
            logger.warning("\(verb) \(p.fileName) as \(p.state.rawValue): \(reasons)")
        }
    }
}
