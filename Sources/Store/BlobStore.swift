import Foundation

/// Content-addressed blobs, one file per SHA-256, written once and never modified.
public struct BlobStore: Sendable {
    public let layout: StoreLayout

    public init(layout: StoreLayout) {
        self.layout = layout
    }

    public func path(sha256: String) -> String { layout.blobPath(sha256: sha256) }

    public func contains(sha256: String) -> Bool {
        access(path(sha256: sha256), F_OK) == 0
    }

    /// Moves a fully written and fsynced temp file into place under its digest.
    /// If the blob already exists the temp file is dropped: same bytes are stored once.
    /// Returns true when this call added the blob.
    @discardableResult
    public func adopt(temporaryPath: String, sha256: String) throws -> Bool {
        let final = path(sha256: sha256)
        if contains(sha256: sha256) {
            unlink(temporaryPath)
            return false
        }
        let dir = (final as NSString).deletingLastPathComponent
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw StoreError.io("cannot create \(dir)", errno: errno)
        }
        // link() fails with EEXIST if a concurrent upload of the same bytes won: equally fine.
        if link(temporaryPath, final) != 0 && errno != EEXIST {
            let e = errno
            throw e == ENOSPC ? StoreError.noSpace("no space left for blob \(sha256)")
                              : StoreError.io("cannot store blob \(sha256)", errno: e)
        }
        unlink(temporaryPath)
        try Durability.syncDirectory(dir)
        return true
    }

    public func remove(sha256: String) {
        unlink(path(sha256: sha256))
    }

    /// Notes in tmp/ that the blob of `sha256` is changing hands: moved in before the catalog
    /// commit that refers to it, or to be removed after the commit that dropped its last
    /// package. A crash in between leaves the note (and the blob unreferenced); the next start
    /// (`Repository.init`) removes the blob unless a package refers to it. The caller unlinks
    /// the returned path when done.
    public func notePending(sha256: String) -> String {
        let note = "\(layout.temporaryDirectory)/\(Self.pendingPrefix)\(sha256)-\(UUID().uuidString.prefix(8).lowercased())"
        let fd = open(note, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        return note
    }

    static let pendingPrefix = "pending-blob-"

    /// The digests of the notes a crash left in tmp/.
    static func pendingDigests(in directory: String) -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Set(names.filter { $0.hasPrefix(pendingPrefix) }.map { String($0.dropFirst(pendingPrefix.count).prefix(64)) })
    }

    /// Every blob digest on disk (for the orphan sweep).
    public func allDigests() -> [String] {
        let fm = FileManager.default
        guard let prefixes = try? fm.contentsOfDirectory(atPath: layout.blobsDirectory) else { return [] }
        return prefixes.flatMap { prefix in
            (try? fm.contentsOfDirectory(atPath: layout.blobsDirectory + "/" + prefix)) ?? []
        }
    }
}

enum Durability {
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("cannot open \(path)", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StoreError.io("cannot sync \(path)", errno: errno) }
    }
}
