import CFuse
import Foundation
import Logging

/// What every callback reaches through the session's userdata.
final class FuseContext: @unchecked Sendable {
    // @unchecked: `fs` is Sendable; `listings` is guarded by its lock; the rest is immutable.
    let fs: any LowLevelFileSystem
    let logger: Logger
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

    @discardableResult
    func dropListing(_ id: UInt64) -> (any DirectoryListing)? {
        lock.withLock { listings.removeValue(forKey: id) }
    }

    /// Returns freed heap pages to the system (glibc keeps them otherwise).
    func releaseMemory() {
        _ = malloc_trim(0)
    }

    static func from(_ req: fuse_req_t?) -> FuseContext {
        Unmanaged<FuseContext>.fromOpaque(fuse_req_userdata(req)!).takeUnretainedValue()
    }
}
