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
            linkMemo.forget(packages: [], links: [.receipt(fileName)], targets: [], gone: false)
            listingClock.tick()
            notifier?.invalidateEntry(parent: parent, name: name)
        case .original(let id):
            try deletePackage(id, caller: caller)
        case .upload(let handle):
            guard let upload = handles.upload(handle), upload.isStaging else {
                throw FSError(EBUSY, "\(name) is still being uploaded")
            }
            try access.requireManager(caller, "removing \(name)")
            removeStaged(upload, handle: handle)
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

    public func heldInode(named name: String, in parent: UInt64) -> UInt64? {
        guard let parentNode = inodes.node(parent), let node = try? resolve(name, in: parentNode) else { return nil }
        return inodes.existingIno(node)
    }

    func deletePackage(_ id: Int64, caller: Caller) throws {
        try access.requireManager(caller, "deleting package \(id)")
        let location = try mapped { try summary(id: id)?.location }
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

    /// A package registered by another way in (the HTTP API) than this mount's incoming/;
    /// returns once the kernel has dropped what it cached, so the answer comes after the tree
    /// shows the package.
    public func packageRegistered(_ outcome: RegistrationOutcome) {
        if case .replaced(let old, let new) = outcome { packageChanged(new, replacing: old) }
        else { packageChanged(outcome.package, replacing: nil) }
        notifier?.waitUntilSent()
    }

    /// An upload that registered nothing: its name leaves incoming/'s listing.
    func uploadVanished() {
        listingClock.tick()
        if let ino = inodes.existingIno(.incoming) { notifier?.invalidateListing(ino) }
    }

    /// Drops what the kernel and this tree cached about a package that appeared, changed or went away.
    func packageChanged(_ package: Package, replacing old: Package?, removedFrom location: PackageLocation? = nil) {
        let ids = Set([package.id, old?.id].compactMap { $0 })
        let gone = location != nil || old != nil
        // The names that may now lead elsewhere, and the places above the package (at its new
        // place and at the one it left), whose listings and `latest` may differ.
        let names = Set([package.fileName, String(package.id), package.uuid, package.sha1, package.sha256]
                        + [old?.uuid, old.map { String($0.id) }, old?.sha1, old?.sha256].compactMap { $0 })
        let links = names.flatMap { name -> [Node] in
            [.receipt(name), .idLink(name), .sha1Link(name), .sha256Link(name)]
        }
        let locations = Set([location ?? PackageLocation(of: package)] + [old.map(PackageLocation.init(of:))].compactMap { $0 })
        let deleted = [location != nil ? package : nil, old].compactMap { $0 }
        deleted.forEach(deletedPackages.deleted)
        summaries.forget(ids)
        linkMemo.forget(packages: ids, links: links, targets: locations.map { .latest($0.type, $0.os, $0.arch) }, gone: gone)
        listingClock.tick()
        guard let notifier else { return }
        if gone { payloadReaders.forget(ids) }
        // A payload never changes while its package exists: only its going away matters.
        var places = ids.flatMap { id in
            inodes.places(in: .package(id)).filter { place in gone || !place.node.isPayload }
        }
        var nodes: Set<Node> = [.incoming, .byID, .bySHA1, .bySHA256]
        for p in locations {
            nodes.formUnion([.typeDir(p.type), .osDir(p.type, p.os), .archDir(p.type, p.os, p.arch),
                             .versionDir(p.type, p.os, p.arch, p.version), .latest(p.type, p.os, p.arch)])
        }
        nodes.formUnion(links)
        places += nodes.compactMap { inodes.place(of: $0) } + searchesMatching([package, old].compactMap { $0 })
        for place in places {
            if case let .meta(id, version) = place.node {
                supersede(id, version: version, at: place, now: deleted.contains { $0.id == id } ? nil : package, notifier: notifier)
                continue
            }
            // A directory above the package that still holds others keeps its name, and so the
            // inodes below it (dropping its entry renumbered every package beside it).
            if gone && !place.node.isFixedDirectory && !stillHoldsPackages(place.node) {
                notifier.invalidateEntry(parent: place.parent, name: place.name)
            }
            if place.node.isDirectory { notifier.invalidateListing(place.ino) } else { notifier.invalidateInode(place.ino) }
        }
        notifier.invalidateListing(InodeTable.rootIno)
    }

    /// Whether a type, OS, arch or version directory still has packages (any other node: false).
    private func stillHoldsPackages(_ node: Node) -> Bool {
        let levels: [String]
        switch node {
        case let .typeDir(t): levels = [t]
        case let .osDir(t, o): levels = [t, o]
        case let .archDir(t, o, a): levels = [t, o, a]
        case let .versionDir(t, o, a, v): levels = [t, o, a, v]
        default: return false
        }
        return (try? repository.catalog.hasPackages(under: levels)) ?? false
    }

    /// A meta.json the kernel holds of a package that changed is replaced as a file by rename is,
    /// and one of a package that went (`package` nil) as a file removed: its name is dropped (the
    /// kernel looks up the new version's inode, or finds none), and the old inode keeps its
    /// document for those who opened it, unless that is no longer known: then it is invalidated
    /// and shows the new one, or none.
    private func supersede(_ id: Int64, version: Double, at place: InodeTable.Place, now package: Package?,
                           notifier: any KernelCacheNotifier) {
        // Older only: of two changes told in the other order, the first told finds the later version.
        if let package, Date(timeIntervalSince1970: version) >= package.modifiedAt { return }
        let kept = metaCache.supersede(id, version: version)
        // The kernel may have forgotten the inode since it was found: then nothing else would.
        if inodes.existingIno(place.node) == nil { metaCache.forgetSuperseded(id, version: version) }
        notifier.invalidateEntry(parent: place.parent, name: place.name)
        if !kept { notifier.invalidateInode(place.ino) }
        // Removed, it has no name left: `fstat` shows no link (`tail -F` tells a removal by that).
        else if package == nil { notifier.invalidateAttributes(place.ino) }
    }
}

extension PackageTree {
    /// The search directories the kernel holds whose hits include any of `packages`: found by the
    /// hashes of the keywords they match, so a host that looked up thousands of keywords does not
    /// make each change try them all (let alone invalidate them all).
    func searchesMatching(_ packages: [Package]) -> [InodeTable.Place] {
        let values = packages.map(KeywordMatch.Values.init)
        let hashes = values.reduce(into: Set<UInt64>()) { $0.formUnion($1.substringHashes) }
        return inodes.places(inAny: hashes.map(InodeGroup.searchKeyword)) + inodes.places(in: .searchOtherKeywords) { node in
            guard case .searchDir(let keyword) = node else { return false }
            return values.contains { $0.match(keyword) }
        }
    }
}

extension Node {
    /// Directories that always exist: their listing changes, never their name.
    var isFixedDirectory: Bool {
        switch self {
        case .root, .incoming, .byID, .bySHA1, .bySHA256, .search, .searchDir: return true
        default: return false
        }
    }

}
