import Foundation
import PkgfsModel
import PkgfsStore

/// What the files of a deleted package show to those who opened them before it went. As with a
/// file removed on disk, an open descriptor still reads and `fstat`s it until it is closed: the
/// original from its blob, meta.json from the document it showed, `state` and `files/` from what
/// was opened. The package's names are gone from every lookup and listing, so only an inode the
/// kernel still holds can ask (`attributes(of:)` falls back to this where the catalog has nothing).
final class DeletedPackages: @unchecked Sendable {
    // @unchecked: `packages` is guarded by `lock`.
    private let lock = NSLock()
    private var packages: BoundedCache<Int64, PackageFileFacts>

    init(capacity: Int = 4096) {
        packages = BoundedCache(capacity: capacity)
    }

    func deleted(_ package: Package) {
        lock.withLock { packages.set(package.id, PackageFileFacts(package)) }
    }

    func facts(_ id: Int64) -> PackageFileFacts? {
        lock.withLock { packages.get(id) }
    }
}

/// What a package's own files (the original, meta.json, state) show of it besides their content.
struct PackageFileFacts {
    let createdAt: Double
    /// Labels and states change it: meta.json and state show it as their time.
    let modifiedAt: Double
    let size: Int64
    let state: PackageState

    init(_ summary: PackageSummary) {
        (createdAt, modifiedAt, size, state) = (summary.createdAt, summary.modifiedAt, summary.size, summary.state)
    }

    init(_ package: Package) {
        (createdAt, modifiedAt, size, state) = (package.createdAt.timeIntervalSince1970,
                                                package.modifiedAt.timeIntervalSince1970, package.size, package.state)
    }
}
