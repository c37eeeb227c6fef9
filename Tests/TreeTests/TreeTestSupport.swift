import Foundation
import Logging
import PkgfsFUSE
import PkgfsStore
@testable import PkgfsTree

extension PackageTree {
    /// The tree of `repository` as a test sees it: owned by root, no manager group, shown as
    /// mounted at /mnt/pkgfs (the prefix of `downloadUrl`).
    static func forTests(_ repository: Repository) -> PackageTree {
        PackageTree(repository: repository, mountPoint: "/mnt/pkgfs",
                    access: AccessPolicy(ownerUID: 0, ownerGID: 0, managerGID: nil), logger: Logger(label: "test"))
    }
}

extension PackageTree {
    static let testOwner = Caller(uid: 0, gid: 0, pid: 0)

    /// A lookup by the test's owner, as one task.
    func lookup(parent: UInt64, name: String) throws -> Entry {
        try lookup(parent: parent, name: name, caller: Self.testOwner)
    }

    /// The inode at a path below the root, each step a lookup (as the kernel's path walk).
    func ino(at components: [String]) throws -> UInt64 {
        var ino = InodeTable.rootIno
        for name in components { ino = try lookup(parent: ino, name: name).attributes.ino }
        return ino
    }

    /// An upload as cp makes it: create in incoming/, write, flush, release.
    func upload(_ name: String, _ bytes: [UInt8], as caller: Caller = testOwner) throws {
        let incoming = try ino(at: ["incoming"])
        let (entry, reply) = try create(parent: incoming, name: name, mode: 0o644, flags: O_WRONLY, caller: caller)
        _ = try bytes.withUnsafeBytes { try write(entry.attributes.ino, handle: reply.handle, offset: 0, data: $0, caller: caller) }
        defer { release(entry.attributes.ino, handle: reply.handle) }
        try flush(entry.attributes.ino, handle: reply.handle, caller: caller)
    }
}

/// What a tree told the kernel to forget, for tests that check a change drops exactly that.
final class RecordingNotifier: KernelCacheNotifier, @unchecked Sendable {
    struct Name: Hashable {
        let parent: UInt64
        let name: String
    }

    // @unchecked: the lists are guarded by `lock`.
    private let lock = NSLock()
    private var entries: [Name] = []
    private var inodes: [UInt64] = []
    private var attributes: [UInt64] = []
    private var listings: [UInt64] = []

    func invalidateEntry(parent: UInt64, name: String) { lock.withLock { entries.append(Name(parent: parent, name: name)) } }
    func invalidateInode(_ ino: UInt64) { lock.withLock { inodes.append(ino) } }
    func invalidateAttributes(_ ino: UInt64) { lock.withLock { attributes.append(ino) } }
    func invalidateListing(_ ino: UInt64) { lock.withLock { listings.append(ino) } }
    func waitUntilSent() {}

    /// The names invalidated since the last call.
    func takeEntries() -> Set<Name> { lock.withLock { defer { entries = [] }; return Set(entries) } }
    /// The inodes (attributes and data) invalidated since the last call.
    func takeInodes() -> Set<UInt64> { lock.withLock { defer { inodes = [] }; return Set(inodes) } }
    /// The inodes whose attributes alone were invalidated since the last call.
    func takeAttributes() -> Set<UInt64> { lock.withLock { defer { attributes = [] }; return Set(attributes) } }
    /// The directories whose listings were invalidated since the last call.
    func takeListings() -> Set<UInt64> { lock.withLock { defer { listings = [] }; return Set(listings) } }
}
