import CFuse
import Foundation
import Logging

/// What every callback reaches through the session's userdata.
final class FuseContext: @unchecked Sendable {
    // @unchecked: `fs` is Sendable; `listings` is guarded by its lock; the rest is immutable.
    let fs: any LowLevelFileSystem
    let logger: Logger
    let passthrough = Passthrough()
    /// The session's /dev/fuse descriptor (for passthrough's ioctls), set once mounted.
    var device: Int32 = -1
    private let lock = NSLock()
    private var listings: [UInt64: any DirectoryListing] = [:]
    private var nextListing: UInt64 = 1

    init(fs: any LowLevelFileSystem, logger: Logger) {
        self.fs = fs
        self.logger = logger
    }

    /// Keeps a directory snapshot for the lifetime of one opendir, so paging is consistent.
    func storeListing(_ entries: any DirectoryListing) -> UInt64 {
        lock.withLock {
            let id = nextListing
            nextListing += 1
            listings[id] = entries
            return id
        }
    }

    func listing(_ id: UInt64) -> (any DirectoryListing)? {
        lock.withLock { listings[id] }
    }

    func dropListing(_ id: UInt64) {
        released(lock.withLock { listings.removeValue(forKey: id) })
    }

    /// A huge listing leaves its pages to malloc, which keeps them: give them back once it is
    /// freed (after the reply being made now).
    private func released(_ listing: (any DirectoryListing)?) {
        guard (listing?.count ?? 0) >= 100_000 else { return }
        DispatchQueue.global().async { _ = malloc_trim(0) }
    }

    // MARK: - listings without opendir

    /// Set at init when the kernel handles opendir/releasedir itself (FUSE_CAP_NO_OPENDIR_SUPPORT):
    /// then every directory is opened with keep_cache + cache_readdir, no handle, and a listing
    /// is read by readdir calls alone, kept here by directory between its pages.
    private var opendirless = false
    private var byDirectory: [UInt64: (listing: any DirectoryListing, used: UInt64)] = [:]
    private var uses: UInt64 = 0
    /// Listings kept for directories whose reading stopped midway (`ls | head`).
    private static let keptListings = 16

    var withoutOpendir: Bool {
        get { lock.withLock { opendirless } }
        set { lock.withLock { opendirless = newValue } }
    }

    /// The listing of directory `ino` for a readdir at `offset`: read anew at offset 0, else the
    /// one the earlier pages came from.
    func listing(ofDirectory ino: UInt64, offset: Int) throws -> any DirectoryListing {
        if offset > 0, let kept = lock.withLock({ () -> (any DirectoryListing)? in
            uses += 1
            byDirectory[ino]?.used = uses
            return byDirectory[ino]?.listing
        }) {
            return kept
        }
        let listing = try fs.opendir(ino)
        let dropped: [any DirectoryListing] = lock.withLock {
            uses += 1
            byDirectory[ino] = (listing, uses)
            var dropped: [any DirectoryListing] = []
            while byDirectory.count > Self.keptListings, let oldest = byDirectory.min(by: { $0.value.used < $1.value.used }) {
                dropped.append(oldest.value.listing)
                byDirectory[oldest.key] = nil
            }
            return dropped
        }
        _ = dropped  // released outside the lock
        return listing
    }

    /// The kernel read the listing to its end.
    func finishedListing(ofDirectory ino: UInt64) {
        released(lock.withLock { byDirectory.removeValue(forKey: ino)?.listing })
    }

    static func from(_ req: fuse_req_t?) -> FuseContext {
        fromUserdata(fuse_req_userdata(req)!)
    }

    static func fromUserdata(_ userdata: UnsafeMutableRawPointer) -> FuseContext {
        Unmanaged<FuseContext>.fromOpaque(userdata).takeUnretainedValue()
    }
}
