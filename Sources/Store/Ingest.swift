import Foundation
import GRDB
import PkgfsFormats
import PkgfsModel

/// The end of an upload: durable bytes → parse → catalog (SPEC §4).
///
/// Most uploads are registered in one transaction with their final state. A bundle (SPEC §5)
/// takes two, so that `verifying` is what others see while it is checked: a cheap look reads
/// `package.json` (`PackageAnalyzer.firstLook`) and the package is registered at its final
/// place as `verifying` (blob adopted, receipt written); then the whole bundle is verified
/// and the same row gets its final state, details and payload listing. A crash between the
/// two leaves a `verifying` row over a durable blob, which the next open of the store
/// verifies and finishes (`finishInterruptedVerifications`).
extension Repository {
    /// Registers a finished upload. Returns the outcome; the package may be `corrupt` or
    /// `incomplete` (the caller reports EIO then). Throws `.conflict` when the file name is
    /// taken by an available package with other bytes (nothing is changed then), `.noSpace`
    /// or `.io` when the bytes could not be made durable (nothing is registered then).
    ///
    /// `registeredAsVerifying` is called, on this thread, once a bundle is in the catalog as
    /// `verifying` and before its verification starts (not for other uploads, nor for bytes
    /// already present), so a view of the catalog can show that state; the call returns only
    /// after the final state is committed.
    ///
    /// `interruption` says the writer did not end the upload itself (it was killed): the bytes
    /// are registered `incomplete` with that detail, whatever they parse as, so that a plain
    /// file cut short is not `available` and the whole file can replace it.
    public func finishUpload(_ session: UploadSession, interruption: StateDetail? = nil,
                             registeredAsVerifying: (RegistrationOutcome) -> Void = { _ in }) throws -> RegistrationOutcome {
        let sealed: SealedUpload
        do {
            sealed = try session.seal()
        } catch {
            session.discard()
            throw error
        }
        // An expected digest that already fails is registered in one step, with its final state.
        let mismatches = Self.expectedDigestProblems(sealed)
        let look = mismatches.isEmpty && interruption == nil
            ? analyzer.firstLook(path: sealed.temporaryPath, fileName: session.fileName, size: sealed.size) : .undecided
        if case .bundle(let identified) = look {
            let first = try registerForVerification(session, sealed, identified)
            if case .alreadyPresent(let present) = first {
                // The same bytes are being verified for another upload: this one ends as that one does.
                let outcome = RegistrationOutcome.alreadyPresent(try verified(present))
                log(outcome)
                return outcome
            }
            registeredAsVerifying(first)
            waitForTestGate(first.package)
            let final = try completeVerification(of: first.package)
            let outcome: RegistrationOutcome
            if case let .replaced(old, _) = first { outcome = .replaced(old: old, new: final) } else { outcome = .registered(final) }
            log(outcome)
            return outcome
        }
        var analysis = analyzer.analyze(path: sealed.temporaryPath, fileName: session.fileName, size: sealed.size,
                                        after: look, computed: sealed.rangeDigests)
        if !mismatches.isEmpty {
            analysis.problems += mismatches
            analysis.failureState = .corrupt
        }
        if let interruption {
            if analysis.problems.isEmpty { analysis.failureState = .incomplete }
            analysis.problems.insert(interruption, at: 0)
        }
        let candidate = package(analysis, session, sealed, state: analysis.state)
        do {
            let outcome = try register(candidate, payload: analysis.payload, container: analysis.payloadContainer,
                                       from: sealed)
            log(outcome)
            return outcome
        } catch {
            session.discard()
            throw error
        }
    }

    /// The first step of a bundle's registration (`identified` by `PackageAnalyzer.firstLook`):
    /// registers it as `verifying` where it will stay, without its payload listing.
    /// `.alreadyPresent` when the same bytes are already available under this name.
    func registerForVerification(_ session: UploadSession, _ sealed: SealedUpload,
                                 _ identified: Analysis) throws -> RegistrationOutcome {
        let candidate = package(identified, session, sealed, state: .verifying)
        let outcome: RegistrationOutcome
        do {
            outcome = try register(candidate, payload: nil, container: nil, from: sealed)
        } catch {
            session.discard()
            throw error
        }
        if case .alreadyPresent = outcome { return outcome }
        let p = outcome.package
        logger.info("registered \(p.fileName) id=\(p.id) sha256=\(p.sha256) size=\(p.size) as verifying")
        return outcome
    }

    /// The second step: verifies the stored bytes of a package registered as `verifying` and
    /// gives that same row (same id and uuid, same place) its final state, details, format
    /// data and payload listing, in one transaction. Throws `.notFound` when the row was
    /// deleted or replaced meanwhile (nothing is changed then).
    func completeVerification(of registered: Package) throws -> Package {
        var analysis = analyzer.analyze(path: blobPath(of: registered), fileName: registered.fileName,
                                        size: registered.size)
        // The row stays where the first look filed it. A bundle whose full read names
        // another package than its first `package.json` did (two root package.json members)
        // is ambiguous: corrupt, and said so; meta.json keeps the manifest it was filed by.
        let ambiguous = analysis.problems.isEmpty
            && (analysis.format != registered.format || analysis.name != registered.name
                || analysis.version != registered.version)
        if ambiguous {
            analysis.problem("manifest", "package.json is ambiguous",
                             "\(registered.fileName) holds more than one root package.json: the first names \(registered.name) \(registered.version), the one verified names \(analysis.name) \(analysis.version); keep one package.json at the bundle root and upload it again")
            analysis.failureState = .corrupt
        }
        let final = try catalog.exclusive { db -> Package? in
            guard var record = try PackageRecord.fetchOne(db, key: registered.id), record.uuid == registered.uuid,
                  record.state == PackageState.verifying.rawValue else { return nil }
            record.state = analysis.state.rawValue
            record.stateDetails = JSONText.encode(analysis.problems)
            if let details = analysis.formatDetailsJSON, !ambiguous { record.formatDetails = details }
            // Strictly later, so whatever is cached by modification time is renewed.
            record.modifiedAt = max(Date().timeIntervalSince1970, record.modifiedAt.nextUp)
            try record.update(db)
            try catalog.recordPayload(analysis.payload, container: analysis.payloadContainer, packageID: registered.id, db)
            return record.package
        }
        guard let final else {
            logger.warning("\(registered.fileName) id=\(registered.id) was deleted or replaced while it was being verified; its verification (\(analysis.state.rawValue)) is dropped")
            throw StoreError.notFound("\(registered.fileName) was deleted or replaced while it was being verified")
        }
        return final
    }

    /// `package` once its verification, which another upload runs, has ended.
    private func verified(_ package: Package) throws -> Package {
        var current = package
        while current.state == .verifying {
            Thread.sleep(forTimeInterval: 0.02)
            guard let now = try catalog.package(id: package.id) else {
                throw StoreError.notFound("\(package.fileName) was deleted or replaced while it was being verified")
            }
            current = now
        }
        return current
    }

    /// Finishes what a crash left `verifying`: each such package is verified from its blob
    /// and gets its final state (SPEC §4: nothing registered is lost). Returns how many.
    func finishInterruptedVerifications() throws -> Int {
        let pending = try catalog.read { db in
            // A literal state, so SQLite can use the partial index `package_verifying`.
            try PackageRecord.fetchAll(db, sql: "SELECT * FROM package WHERE state = 'verifying' ORDER BY id")
        }
        var finished = 0
        for record in pending {
            let registered = record.package
            do {
                let final = try completeVerification(of: registered)
                finished += 1
                let reasons = final.stateDetails.map { "\($0.title): \($0.detail)" }.joined(separator: "; ")
                logger.notice("verified \(final.fileName) id=\(final.id), left verifying by an earlier run: \(final.state.rawValue)\(reasons.isEmpty ? "" : " (" + reasons + ")")")
            } catch {
                // The row stays `verifying`; the next open tries again.
                logger.error("\(registered.fileName) id=\(registered.id), left verifying by an earlier run, could not be finished: \(error)")
            }
        }
        return finished
    }

    /// `packageStateDetails` for every digest set before close (`user.pkgfs.sha1`/`sha256`)
    /// that the bytes do not have.
    static func expectedDigestProblems(_ sealed: SealedUpload) -> [StateDetail] {
        sealed.expected.sorted(by: { $0.key < $1.key }).compactMap { algorithm, hex in
            let actual = algorithm == "sha1" ? sealed.sha1 : sealed.sha256
            guard hex != actual else { return nil }
            return StateDetail(type: "digest", title: "\(algorithm.uppercased()) mismatch",
                               detail: "expected \(algorithm) \(hex) was set before close, the uploaded bytes have \(actual)")
        }
    }

    private func package(_ analysis: Analysis, _ session: UploadSession, _ sealed: SealedUpload,
                         state: PackageState) -> Package {
        let now = Date()
        return Package(
            name: analysis.name, fileName: session.fileName, fileExtension: analysis.fileExtension,
            size: sealed.size, sha1: sealed.sha1,
            type: analysis.format == .bundle ? PackageType.astra : typeRules.type(forName: analysis.name),
            version: analysis.version, buildNumber: analysis.buildNumber,
            operatingSystem: analysis.operatingSystem, architecture: analysis.architecture,
            uuid: UUID().uuidString.lowercased(), sha256: sealed.sha256, format: analysis.format,
            epoch: analysis.epoch, release: analysis.release, state: state,
            stateDetails: state == .verifying ? [] : analysis.problems, createdAt: now, modifiedAt: now,
            createdBy: session.uploader, modifiedBy: session.uploader,
            formatDetailsJSON: analysis.formatDetailsJSON)
    }

    /// Test hook (`PKGFS_TEST_VERIFY_GATE`, see `Repository.verifyGate`): holds a bundle in
    /// `verifying` until the named file exists, at most two minutes.
    private func waitForTestGate(_ package: Package) {
        guard let gate = verifyGate else { return }
        logger.notice("\(package.fileName): held in verifying until \(gate) exists (PKGFS_TEST_VERIFY_GATE)")
        let deadline = Date().addingTimeInterval(120)
        while access(gate, F_OK) != 0 && Date() < deadline { usleep(20_000) }
    }

    private func register(_ candidate: Package, payload: [PayloadEntry]?, container: PayloadContainer?,
                          from sealed: SealedUpload) throws -> RegistrationOutcome {
        try sealed.waitUntilDurable()
        let temporaryPath = sealed.temporaryPath
        var freedDigest: String?
        var notes = [blobs.notePending(sha256: candidate.sha256)]
        defer { notes.forEach { $0.clear() } }
        // A blob this call added before the catalog refused (a full disk at insert or commit)
        // is dropped again unless a package refers to it; it would stay behind unreferenced.
        var addedBlob = false
        var committed = false
        defer { if addedBlob && !committed { removeBlobIfUnreferenced(candidate.sha256) } }
        let outcome = try catalog.exclusive({ db -> RegistrationOutcome in
            // The blob first, so that its directory's sync runs while the rows are looked up and
            // inserted (a refused upload then removes it again, in the `defer` above).
            let adoption = try blobs.adopt(temporaryPath: temporaryPath, sha256: candidate.sha256)
            addedBlob = adoption.added
            var record = PackageRecord(candidate)
            let outcome: RegistrationOutcome
            if let existing = try catalog.existing(fileName: candidate.fileName, db) {
                let old = existing.package
                // Only a failed package is replaced: one being verified is another upload of
                // this name, still in flight (SPEC §4).
                if old.state == .available || old.state == .verifying {
                    guard old.sha256 == candidate.sha256 else {
                        let what = old.state == .available ? "an available package" : "a package being verified (another upload of this name)"
                        throw StoreError.conflict(
                            "\(candidate.fileName) already exists as \(what) with sha256 \(old.sha256); the upload has sha256 \(candidate.sha256). Delete the existing package first or upload under another name")
                    }
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
            try record.insertRow(db)
            try catalog.recordPayload(payload, container: container, packageID: record.id!, db)
            try Self.addReceipt(candidate.fileName, packageID: record.id!, db)
            try adoption.waitUntilDurable()
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
        if case let .replaced(old, _) = outcome { payloadCache.remove(packageIDs: [old.id]) }
        return outcome
    }

    private func removeBlobIfUnreferenced(_ digest: String) {
        _ = try? catalog.exclusive({ db in try !self.catalog.isReferenced(sha256: digest, db) },
                                   after: { free in if free { self.blobs.remove(sha256: digest) } })
    }

    static func addReceipt(_ fileName: String, packageID: Int64, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO receipt (fileName, packageId) VALUES (?, ?)")
            .execute(arguments: [fileName, packageID])
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
