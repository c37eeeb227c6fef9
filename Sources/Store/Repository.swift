import Foundation
import Logging
import PkgfsModel

/// The embedded store as one object: catalog + blobs + ingest + the rules that file packages.
public final class Repository: Sendable {
    public let layout: StoreLayout
    public let catalog: Catalog
    public let blobs: BlobStore
    public let typeRules: TypeRules
    /// Payload files decompressed for random reads (disposable, bounded).
    public let payloadCache: PayloadCache
    let analyzer = PackageAnalyzer()
    let logger: Logger
    let spaceReserve: SpaceReserve
    private let storeLock: StoreLock
    /// Test hook, from the environment variable `PKGFS_TEST_VERIFY_GATE` (a file path): a
    /// bundle registered as `verifying` waits, at most two minutes, until that file exists
    /// before its verification runs, so tests can watch the `verifying` state without
    /// depending on timing. Unset (always, outside tests) it changes nothing.
    let verifyGate: String?

    /// Opens (creating if needed) the store at `root`, removes uploads a crash left behind, and
    /// verifies the packages a crash left `verifying` (one log line each) unless
    /// `finishingVerifications` is false (a process that hands the store on, so that the one
    /// serving it does that and logs it where its log goes).
    public init(root: String, logger: Logger = Logger(label: "pkgfs.store"),
                finishingVerifications: Bool = true) throws {
        layout = StoreLayout(root: root)
        self.logger = logger
        try layout.createDirectories()
        storeLock = try StoreLock(path: layout.lockPath)
        catalog = try Catalog(path: layout.catalogPath, upgrading: { logger.notice("\($0)") })
        blobs = BlobStore(layout: layout)
        payloadCache = PayloadCache(directory: layout.payloadCacheDirectory)
        typeRules = try Self.loadTypeRules(layout.typeRulesPath)
        spaceReserve = SpaceReserve(path: layout.reservePath)
        if !spaceReserve.take() {
            logger.warning("no room for the \(SpaceReserve.size >> 20) MiB kept back for deletes on a full disk (\(layout.reservePath)); taken once there is")
        }
        verifyGate = ProcessInfo.processInfo.environment["PKGFS_TEST_VERIFY_GATE"].flatMap { $0.isEmpty ? nil : $0 }
        let unreferenced = try freeBlobsOfInterruptedChanges()
        PendingNotes.removeAll(in: layout)
        if unreferenced > 0 {
            logger.notice("freed \(unreferenced) blob(s) an earlier run left unreferenced")
        }
        let stale = Self.clearTemporaryFiles(layout.temporaryDirectory)
        if stale > 0 {
            logger.notice("removed \(stale) unfinished upload(s) left by an earlier run")
        }
        let verified = finishingVerifications ? try finishInterruptedVerifications() : 0
        if verified > 0 {
            logger.notice("finished \(verified) verification(s) an earlier run left in verifying")
        }
    }

    /// Lets another process open the store (the mount command hands it to its daemon).
    public func releaseLock() {
        storeLock.release()
    }

    static func loadTypeRules(_ path: String) throws -> TypeRules {
        guard let data = FileManager.default.contents(atPath: path) else { return .defaults }
        do {
            return try JSONDecoder().decode(TypeRules.self, from: data)
        } catch {
            throw StoreError.invalid("type rules file \(path) is not valid: \(Self.describe(error)). Expected {\"rules\": [{\"pattern\": \"*ocp-agent*\", \"type\": \"OCP_AGENT_INSTALL_PACKAGE\"}], \"fallback\": \"GENERIC_PACKAGE\"}")
        }
    }

    /// A JSON decoding error in words: where in the document, and what was expected there.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func place(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the top level"
                : String(path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." })
        }
        func kind(_ type: Any.Type) -> String {
            let name = "\(type)"
            if name.hasPrefix("Dictionary") { return "an object" }
            if name.hasPrefix("Array") { return "an array" }
            return name == "String" ? "a string" : name
        }
        switch error {
        case let .typeMismatch(type, context): return "at \(place(context.codingPath)): expected \(kind(type))"
        case let .valueNotFound(type, context): return "at \(place(context.codingPath)): expected \(kind(type)), found null"
        case let .keyNotFound(key, context): return "at \(place(context.codingPath)): \"\(key.stringValue)\" is missing"
        case let .dataCorrupted(context): return context.codingPath.isEmpty ? "not JSON" : "at \(place(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// Counts unfinished uploads; the notes of `BlobStore.notePending` are removed silently.
    static func clearTemporaryFiles(_ dir: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        for name in names { unlink(dir + "/" + name) }
        return names.filter { !$0.hasPrefix(PendingNotes.prefix) }.count
    }

    /// The blobs a crash caught between the blob move and the catalog commit (see
    /// `BlobStore.notePending`): removed unless a package refers to them.
    private func freeBlobsOfInterruptedChanges() throws -> Int {
        var freed = 0
        for digest in PendingNotes.digests(in: layout) where blobs.contains(sha256: digest) {
            let free = try catalog.exclusive({ db in try !self.catalog.isReferenced(sha256: digest, db) },
                                             after: { free in if free { self.blobs.remove(sha256: digest) } })
            if free { freed += 1 }
        }
        return freed
    }

    public func blobPath(of package: Package) -> String { blobs.path(sha256: package.sha256) }

    /// `readBack`: the bytes are read before the upload is finished (`UploadSession.openForReading`).
    public func beginUpload(fileName: String, uploader: String, readBack: Bool = false) throws -> UploadSession {
        try Self.checkFileName(fileName)
        return try UploadSession(fileName: fileName, uploader: uploader, directory: layout.temporaryDirectory, readBack: readBack)
    }

    /// A package's file name becomes a directory name, a receipt link, a JSON string and a log
    /// line: one path component of at most 255 bytes without control characters (a newline
    /// would split every `ls | while read` and every log line). Names whose bytes are not UTF-8
    /// are refused where the bytes are still seen (the FUSE create; HTTP decodes its headers).
    public static func checkFileName(_ name: String) throws {
        func refuse(_ why: String) -> StoreError {
            .invalid("\(name.debugDescription) is not a valid package file name: \(why)")
        }
        if name.isEmpty || name == "." || name == ".." { throw refuse("it names no file") }
        if name.utf8.count > 255 { throw refuse("it is longer than 255 bytes") }
        for scalar in name.unicodeScalars {
            if scalar == "/" { throw refuse("it contains '/'") }
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                throw refuse("it contains the control character U+\(String(format: "%04X", scalar.value))")
            }
        }
    }

    public func abandon(_ session: UploadSession) {
        session.discard()
    }

    /// Frees the blobs no package refers to any more (after a crash between commit and unlink).
    public func sweepOrphanBlobs() throws -> Int {
        let referenced = try catalog.referencedDigests()
        var removed = 0
        for digest in blobs.allDigests() where !referenced.contains(digest) {
            let stillFree = try catalog.exclusive({ db in try !self.catalog.isReferenced(sha256: digest, db) },
                                                  after: { free in if free { self.blobs.remove(sha256: digest) } })
            if stillFree { removed += 1 }
        }
        return removed
    }
}
