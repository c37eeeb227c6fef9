import Foundation

/// Content-addressed blobs, one file per SHA-256, written once and never modified.
public struct BlobStore: Sendable {
    public let layout: StoreLayout
    private let pendingNotes: PendingNotes

    public init(layout: StoreLayout) {
        self.layout = layout
        pendingNotes = PendingNotes(directory: layout.notesDirectory)
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

    /// Writes a note that the blob of `sha256` is changing hands (see `PendingNotes`); the
    /// caller clears it when done.
    func notePending(sha256: String) -> PendingNote {
        pendingNotes.note(sha256: sha256)
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
