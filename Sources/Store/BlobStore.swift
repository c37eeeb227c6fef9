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
    /// The new name is made durable in the background: the caller fills its catalog
    /// transaction meanwhile and waits (`BlobAdoption.waitUntilDurable`) before committing.
    public func adopt(temporaryPath: String, sha256: String) throws -> BlobAdoption {
        let final = path(sha256: sha256)
        if contains(sha256: sha256) {
            unlink(temporaryPath)
            return BlobAdoption(added: false, directorySync: nil)
        }
        let dir = (final as NSString).deletingLastPathComponent
        // The fan-out directory exists but for the first blobs of a store: link first, and
        // create it only when the link says it is missing.
        var linked = link(temporaryPath, final) == 0
        if !linked && errno == ENOENT {
            if mkdir(dir, 0o755) == 0 {
                // The new directory's own name must be durable too.
                try BackgroundSync(directory: (dir as NSString).deletingLastPathComponent).wait()
            } else if errno != EEXIST {
                throw StoreError.failed(errno, "creating \(dir)")
            }
            linked = link(temporaryPath, final) == 0
        }
        // link() fails with EEXIST if a concurrent upload of the same bytes won: equally fine.
        if !linked && errno != EEXIST {
            throw StoreError.failed(errno, "storing blob \(sha256)")
        }
        unlink(temporaryPath)
        return BlobAdoption(added: true, directorySync: try BackgroundSync(directory: dir))
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

/// The outcome of `BlobStore.adopt`.
public struct BlobAdoption {
    /// True when this call added the blob.
    public let added: Bool
    let directorySync: BackgroundSync?

    /// Returns once the blob's name is durable; no catalog row may point at it before.
    public func waitUntilDurable() throws {
        try directorySync?.wait()
    }
}
