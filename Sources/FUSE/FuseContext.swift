import CFuse
import Foundation
import Logging

/// What every callback reaches through the session's userdata.
final class FuseContext: @unchecked Sendable {
    // @unchecked: `fs` is Sendable; `listings` is guarded by its lock; the rest is immutable.
    let fs: any LowLevelFileSystem
    let logger: Logger
    let passthrough = Passthrough()
    let heapTrimmer = HeapTrimmer()
    /// The session's /dev/fuse descriptor (for passthrough's ioctls), set once mounted.
    var device: Int32 = -1
    /// Set once mounted, before requests flow.
    var notifier: Notifier?
    private let lock = NSLock()
    private var listings: [UInt64: any DirectoryListing] = [:]
    private var nextListing: UInt64 = 1

    init(fs: any LowLevelFileSystem, logger: Logger) {
        self.fs = fs
        self.logger = logger
    }

    /// `ino` (or `child` in it) as a log line names it: a path from the mount's root.
    func path(_ ino: UInt64, _ child: String? = nil) -> String {
        let base = fs.describe(ino)
        if let child { return base + "/" + child }
        return base.isEmpty ? "/" : base
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

    private func released(_ listing: (any DirectoryListing)?) {
        heapTrimmer.freed(listing?.count ?? 0)
    }

    // MARK: - listings without opendir

    /// Set at init when the kernel handles opendir/releasedir itself (FUSE_CAP_NO_OPENDIR_SUPPORT):
    /// then every directory is opened with keep_cache + cache_readdir, no handle, and a listing
    /// is read by readdir calls alone, kept here by directory between its pages.
    private var opendirless = false
    /// Each kept listing with when a reader last asked for a page of it (uptime, ns), and what
    /// its names sent so far take in the kernel's cache.
    private var byDirectory: [ListingKey: KeptListing] = [:]

    private struct KeptListing {
        let listing: any DirectoryListing
        var usedAt: UInt64
        var cached = CachedListingSize()
    }
    private var lastListingNumber: UInt32 = 0
    /// Listings kept for directories whose reading stopped midway (`ls | head`).
    private static let keptListings = 16

    private struct ListingKey: Hashable {
        let directory: UInt64
        let number: UInt32
    }

    var withoutOpendir: Bool {
        get { lock.withLock { opendirless } }
        set { lock.withLock { opendirless = newValue } }
    }

    /// The listing of directory `ino` for a readdir at `offset`, and where in it to go on. At
    /// offset 0 the directory is read anew and the listing gets a number; the offsets handed
    /// out with its names carry that number (`ListingCookie`), so that each reader pages
    /// through its own listing. Keyed by directory alone, two readers of one directory mixed
    /// theirs: one that started before an upload's commit replaced the newer listing of one
    /// that started after it, whose next pages then missed the new package.
    func listing(ofDirectory ino: UInt64, offset: Int) throws -> (listing: any DirectoryListing, cookie: ListingCookie) {
        let resumed = ListingCookie(offset: offset)
        if offset > 0, let kept = lock.withLock({ () -> (any DirectoryListing)? in
            let key = ListingKey(directory: ino, number: resumed.number)
            byDirectory[key]?.usedAt = DispatchTime.now().uptimeNanoseconds
            return byDirectory[key]?.listing
        }) {
            return (kept, resumed)
        }
        // Offset 0, or a listing dropped since its first pages: read anew, from the same position.
        let listing = try fs.opendir(ino)
        let (number, dropped): (UInt32, [any DirectoryListing]) = lock.withLock {
            lastListingNumber = lastListingNumber == ListingCookie.maxNumber ? 1 : lastListingNumber + 1
            byDirectory[ListingKey(directory: ino, number: lastListingNumber)] = KeptListing(listing: listing, usedAt: DispatchTime.now().uptimeNanoseconds)
            var dropped: [any DirectoryListing] = []
            while byDirectory.count > Self.keptListings, let oldest = byDirectory.min(by: { $0.value.usedAt < $1.value.usedAt }) {
                dropped.append(oldest.value.listing)
                byDirectory[oldest.key] = nil
            }
            return (lastListingNumber, dropped)
        }
        _ = dropped  // released outside the lock
        return (listing, ListingCookie(number: number, position: resumed.position))
    }

    /// Names of listing `number` of directory `ino` were sent, from `position` on, with these
    /// lengths in bytes.
    func sent(ofDirectory ino: UInt64, number: UInt32, from position: Int, nameLengths: [Int]) {
        lock.withLock { byDirectory[ListingKey(directory: ino, number: number)]?.cached.add(from: position, nameLengths: nameLengths) }
    }

    /// The kernel read listing `number` of directory `ino` to its end: it is not kept any longer.
    /// Returns whether the kernel's cache of it ends exactly at a page boundary (see
    /// `replyListingPage`); a listing not followed from its start is counted here.
    func finishedListing(ofDirectory ino: UInt64, number: UInt32) -> Bool {
        guard let finished = lock.withLock({ byDirectory.removeValue(forKey: ListingKey(directory: ino, number: number)) }) else {
            return false
        }
        released(finished.listing)
        let names = finished.listing.count + 2
        if finished.cached.names == names { return finished.cached.endsOnPageBoundary }
        var cached = CachedListingSize()
        cached.add(from: 0, nameLengths: (0..<names).map { position in
            (position < 2 ? dotEntry(position, ino) : finished.listing.entry(at: position - 2)).name.utf8.count
        })
        return cached.endsOnPageBoundary
    }

    static func from(_ req: fuse_req_t?) -> FuseContext {
        fromUserdata(fuse_req_userdata(req)!)
    }

    static func fromUserdata(_ userdata: UnsafeMutableRawPointer) -> FuseContext {
        Unmanaged<FuseContext>.fromOpaque(userdata).takeUnretainedValue()
    }
}

/// A readdir offset of a listing read without opendir: the listing's number in the high 31
/// bits, the position in it (names so far, "." and ".." included) in the low 32.
struct ListingCookie {
    static let maxNumber: UInt32 = 0x7FFF_FFFF
    let number: UInt32
    let position: Int

    init(number: UInt32, position: Int) {
        self.number = number
        self.position = position
    }

    init(offset: Int) {
        number = UInt32(truncatingIfNeeded: offset >> 32) & Self.maxNumber
        position = offset & 0xFFFF_FFFF
    }

    /// The offset the name at `position` hands out: where the next readdir goes on.
    func offset(after position: Int) -> off_t {
        off_t(Int64(number) << 32 | Int64(position + 1))
    }
}
