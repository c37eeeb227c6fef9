import Foundation
import PkgfsFUSE
import PkgfsModel
import PkgfsStore

/// Deleting packages, state transitions, and telling the kernel what changed.
extension PackageTree {
    public func unlink(parent: UInt64, name: String, caller: Caller) throws {
        guard let parentNode = inodes.node(parent), let node = try mapped({ try resolve(name, in: parentNode) }) else {
            throw FSError.notFound("\(name) not found")
        }
        switch node {
        case .receipt(let fileName):
            try access.requireManager(caller, "removing receipt \(fileName)")
            try mapped { try repository.catalog.removeReceipt(fileName: fileName) }
            notifier?.invalidateEntry(parent: parent, name: name)
        case .original(let id):
            try deletePackage(id, caller: caller)
        case .upload:
            throw FSError(EBUSY, "\(name) is still being uploaded")
        default:
            throw FSError.accessDenied("\(name) cannot be removed; remove a package with rm <PKG>/<fileName> or rmdir <PKG>")
        }
    }

    public func rmdir(parent: UInt64, name: String, caller: Caller) throws {
        guard let parentNode = inodes.node(parent), let node = try mapped({ try resolve(name, in: parentNode) }) else {
            throw FSError.notFound("\(name) not found")
        }
        guard case .package(let id) = node else {
            throw node.isDirectory ? FSError(ENOTEMPTY, "only package directories can be removed")
                                   : FSError(ENOTDIR)
        }
        try deletePackage(id, caller: caller)
    }

    func deletePackage(_ id: Int64, caller: Caller) throws {
        try access.requireManager(caller, "deleting package \(id)")
        let location = try mapped { try repository.catalog.summary(id: id)?.location }
        let package = try mapped { try repository.delete(id: id) }
        logger.info("\(AccessPolicy.userName(caller.uid)) deleted \(package.fileName)")
        packageChanged(package, replacing: nil, removedFrom: location)
    }

    /// Applies the word written to `state`.
    func applyState(_ write: StateWrite) throws {
        guard let word = write.take() else { return }
        guard let target = PackageState(rawValue: word) else {
            throw FSError.invalid("\(word) is not a state; use one of \(PackageState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try access.requireManager(write.caller, "changing the state of package \(write.packageID)")
        do {
            let package = try repository.transition(id: write.packageID, to: target, by: AccessPolicy.userName(write.caller.uid))
            packageChanged(package, replacing: nil)
        } catch {
            if let package = try? repository.catalog.package(id: write.packageID) { packageChanged(package, replacing: nil) }
            throw FSError(error)
        }
    }

    /// Drops what the kernel cached about a package that appeared, changed or went away.
    func packageChanged(_ package: Package, replacing old: Package?, removedFrom location: PackageLocation? = nil) {
        guard let notifier else { return }
        let ids = Set([package.id, old?.id].compactMap { $0 })
        let names = Set([package.fileName, String(package.id), package.uuid, package.sha1, package.sha256]
                        + [old?.uuid, old.map { String($0.id) }].compactMap { $0 })
        let gone = location != nil || old != nil
        if gone { payloadReaders.forget(ids) }
        for place in inodes.places(where: { node in
            // A payload never changes while its package exists: only its going away matters.
            if let id = node.packageID, ids.contains(id) { return gone || !node.isPayload }
            switch node {
            case .receipt(let n), .idLink(let n), .sha1Link(let n), .sha256Link(let n): return names.contains(n)
            case .latest, .typeDir, .osDir, .archDir, .versionDir: return gone || node.isLatest
            default: return false
            }
        }) {
            if gone { notifier.invalidateEntry(parent: place.parent, name: place.name) }
            notifier.invalidateInode(place.ino)
        }
    }
}

extension Node {
    var isLatest: Bool {
        if case .latest = self { return true }
        return false
    }
}
