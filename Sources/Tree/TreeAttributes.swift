import Foundation
import PkgfsFUSE
import PkgfsModel
import PkgfsStore

/// Modes, sizes, owners and times of every node; symlink targets.
extension PackageTree {
    /// What every node shares: its number, owner and group, and the mount's time.
    func baseAttributes(ino: UInt64) -> Attributes {
        Attributes(ino: ino, mode: 0, uid: access.ownerUID, gid: access.managerGID ?? access.ownerGID, mtime: mountedAt)
    }

    func attributes(of node: Node, ino: UInt64) throws -> Attributes {
        // With a manager group, its members get write permission where owners have it.
        let shared: UInt32 = access.managerGID == nil ? 0 : 0o020
        var a = baseAttributes(ino: ino)
        switch node {
        case .upload(let handle):
            guard let upload = handles.upload(handle) else { throw FSError.notFound("upload finished") }
            a.mode = UInt32(S_IFREG) | 0o644 | shared
            a.size = upload.session.size
            a.mtime = upload.session.startedAt.timeIntervalSince1970
            (a.uid, a.gid) = (upload.writer.uid, upload.writer.gid)
            return a
        case .package(let id), .original(let id), .meta(let id, _), .state(let id):
            // The summary has all these need; the full package (JSON columns decoded) is not loaded
            // unless meta.json has to be rendered. A file of a deleted package is asked about
            // only by one who holds it open, and shows what it showed.
            let facts: PackageFileFacts
            if let summary = try summary(id: id) { facts = PackageFileFacts(summary) }
            else if !node.isDirectory, let deleted = deletedPackages.facts(id) { facts = deleted; a.nlink = 0 }
            else { throw FSError.notFound("package \(id) is gone") }
            a.mtime = facts.createdAt
            switch node {
            case .package:
                a.mode = UInt32(S_IFDIR) | 0o755 | shared
                a.nlink = 2
            case .original:
                a.mode = UInt32(S_IFREG) | 0o444
                a.size = facts.size
            case let .meta(_, version):
                // Each version of the document is its own inode, timed as that version: a
                // label changes meta.json's time, so rsync and make see the change.
                a.mtime = version
                a.mode = UInt32(S_IFREG) | 0o444
                a.size = Int64(try metaCache.size(for: id, version: version) ?? metaJSON(id, version: version).count)
            default:
                a.mtime = facts.modifiedAt
                a.mode = UInt32(S_IFREG) | 0o644 | shared
                a.size = Int64(stateText(facts.state).count)
            }
            return a
        case .filesDir, .payload:
            return try payloadAttributes(of: node, base: a)
        case let .inlineFile(id, name):
            guard let bytes = try inlineFile(id, named: name),
                  let summary = try summary(id: id) else { throw FSError.notFound() }
            a.mode = UInt32(S_IFREG) | 0o444
            a.size = Int64(bytes.count)
            a.mtime = summary.createdAt
            return a
        default:
            break
        }
        if node.isDirectory {
            a.mode = UInt32(S_IFDIR) | 0o755 | shared
            a.nlink = 2
            a.mtime = listingClock.time
        } else if node.isSymlink {
            guard let link = try linkView(of: node) else { throw FSError.notFound() }
            a.mode = UInt32(S_IFLNK) | 0o777
            a.size = Int64(link.target.utf8.count)
            if let createdAt = link.createdAt { a.mtime = createdAt }
        }
        return a
    }

    /// A search link's attributes, from its hit alone: the target is `searchLinkTarget(of:)`,
    /// the time the upload's.
    func searchLinkAttributes(_ hit: SearchHit, base: Attributes) -> Attributes {
        var a = base
        a.mode = UInt32(S_IFLNK) | 0o777
        a.size = Int64(Self.searchLinkTarget(of: hit).utf8.count)
        a.mtime = hit.createdAt
        return a
    }

    static func searchLinkTarget(of hit: SearchHit) -> String {
        "../../" + hit.location.path
    }

    /// Where a symlink points, relative to the directory holding it.
    func linkTarget(of node: Node) throws -> String? {
        try linkView(of: node)?.target
    }

    /// Where a symlink points, and the time of the package it links to.
    func linkView(of node: Node) throws -> LinkView? {
        // The way up from a search hit passes search/<keyword>/; from the other links, one directory.
        var prefix = "../"
        if case let .searchLink(keyword, id) = node {
            // The search just listed has the path: nothing to read or remember.
            if let hit = knownSearchHit(keyword, id: id) {
                return LinkView(target: Self.searchLinkTarget(of: hit), createdAt: hit.createdAt)
            }
            prefix = "../../"
        }
        return try linkMemo.view(of: node, prefix: prefix) { try readLink(node) }
    }

    /// Reads the targets of many index links (by-id/, by-sha1/, by-sha256/) in a statement per
    /// kind and keeps them, so the attributes of a listing's page of them need no read each:
    /// `ls -l` of by-sha1/ read the catalog once per name.
    func rememberLinks(_ nodes: [Node]) throws {
        let wanted = linkMemo.unknown(nodes)
        guard !wanted.isEmpty else { return }
        let readAt = linkMemo.currentGeneration
        var ids: [Int64] = [], uuids: [String] = [], sha1s: [String] = [], sha256s: [String] = []
        for node in wanted {
            switch node {
            case .idLink(let name):
                if let id = Int64(name) { ids.append(id) } else { uuids.append(name) }
            case .sha1Link(let hex): sha1s.append(hex)
            case .sha256Link(let hex): sha256s.append(hex)
            default: break
            }
        }
        let catalog = repository.catalog
        let byID = Dictionary(try catalog.summaries(ids: ids).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let byUUID = Dictionary(try catalog.summaries(uuids: uuids).map { ($0.uuid, $0) }, uniquingKeysWith: { first, _ in first })
        let bySHA1 = try catalog.linkedSummaries(.sha1, among: sha1s)
        let bySHA256 = try catalog.linkedSummaries(.sha256, among: sha256s)
        let found: [(Node, LinkMemo.Read)] = wanted.compactMap { node in
            let summary: PackageSummary?
            switch node {
            case .idLink(let name): summary = Int64(name).map { byID[$0] } ?? byUUID[name]
            case .sha1Link(let hex): summary = bySHA1[hex]
            case .sha256Link(let hex): summary = bySHA256[hex]
            default: summary = nil
            }
            return summary.map { (node, .package($0)) }
        }
        linkMemo.remember(found, readAt: readAt)
    }

    private func readLink(_ node: Node) throws -> LinkMemo.Read? {
        switch node {
        case .latest(let t, let o, let a):
            return try latestVersion(type: t, os: o, arch: a).map { .target($0) }
        case .receipt, .idLink, .sha1Link, .sha256Link, .searchLink:
            return try linkedPackage(node).map { .package($0) }
        case let .payload(id, path, _):
            return try repository.catalog.payloadEntry(packageID: id, path: path)?.linkTarget.map { .target($0) }
        default:
            return nil
        }
    }

    func linkedPackage(_ node: Node) throws -> PackageSummary? {
        let catalog = repository.catalog
        switch node {
        case .receipt(let name):
            guard let location = try catalog.receipt(fileName: name) else { return nil }
            return try catalog.summary(at: location)
        case .idLink(let name): return try packageByIDName(name)
        case .sha1Link(let hex): return try catalog.summaries(sha1: hex).first
        case .sha256Link(let hex): return try catalog.summaries(sha256: hex).first
        case .searchLink(_, let id): return try summary(id: id)
        default: return nil
        }
    }

    /// Whether the size of meta.json at `version` is known without rendering it.
    func knowsMetaSize(of id: Int64, version: Double) -> Bool {
        metaCache.size(for: id, version: version) != nil
    }

    /// meta.json of package `id` at modification time `version`; `downloadUrl` is the original
    /// file's absolute path through this mount. `ls -l`, `stat` and `cat` each need it, so the
    /// bytes are kept by version. A version neither kept nor current any more (the package
    /// changed since and its document was no longer cached to be kept) gives the current document.
    func metaJSON(_ id: Int64, version: Double) throws -> [UInt8] {
        try renderedMetaJSON(id, version: version).bytes
    }

    /// `metaJSON` and the version it shows: `version`, unless that was neither kept nor current.
    func renderedMetaJSON(_ id: Int64, version: Double) throws -> (bytes: [UInt8], version: Double) {
        if let cached = metaCache.bytes(for: id, version: version) { return (cached, version) }
        // A package's place never changes: a summary of any age has it.
        guard let location = try summary(id: id)?.location, let package = try repository.catalog.package(id: id) else {
            throw FSError.notFound()
        }
        let path = "\(mountPoint)/\(location.path)/\(package.fileName)"
        let bytes = MetaDocument.render(package, downloadUrl: path)
        // Kept under the version the document shows, which a read racing a change may not have asked for.
        let rendered = package.modifiedAt == Date(timeIntervalSince1970: version) ? version : package.modifiedAt.timeIntervalSince1970
        metaCache.store(bytes, for: id, version: rendered)
        return (bytes, rendered)
    }

    func stateText(_ state: PackageState) -> [UInt8] {
        Array((state.rawValue + "\n").utf8)
    }
}
