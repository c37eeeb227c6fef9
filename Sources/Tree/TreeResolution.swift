import Foundation
import PkgfsModel
import PkgfsStore

/// Which names a directory holds, asked of the catalog each time (the kernel caches answers).
extension PackageTree {
    func resolve(_ name: String, in parent: Node) throws -> Node? {
        let catalog = repository.catalog
        switch parent {
        case .root:
            switch name {
            case "incoming": return .incoming
            case "by-id": return .byID
            case "by-sha1": return .bySHA1
            case "by-sha256": return .bySHA256
            case "search": return .search
            default: return try catalog.hasPackages(under: [name]) ? .typeDir(name) : nil
            }
        case .incoming:
            if let upload = handles.upload(named: name) { return .upload(upload.handle) }
            return try catalog.receipt(fileName: name) == nil ? nil : .receipt(name)
        case let .typeDir(t):
            return try catalog.hasPackages(under: [t, name]) ? .osDir(t, name) : nil
        case let .osDir(t, o):
            return try catalog.hasPackages(under: [t, o, name]) ? .archDir(t, o, name) : nil
        case let .archDir(t, o, a):
            if name == PackageLocation.latestName { return .latest(t, o, a) }
            return try catalog.hasPackages(under: [t, o, a, name]) ? .versionDir(t, o, a, name) : nil
        case let .versionDir(t, o, a, v):
            let location = PackageLocation(type: t, os: o, arch: a, version: v, name: name)
            return try catalog.summary(at: location).map { .package($0.id) }
        case let .package(id):
            guard let summary = try summary(id: id) else { return nil }
            switch name {
            case "meta.json": return .meta(id, version: summary.modifiedAt)
            case "state": return .state(id)
            case summary.fileName: return .original(id)
            default: return name == "files" && summary.hasPayload ? .filesDir(id) : nil
            }
        case .byID:
            return try packageByIDName(name) == nil ? nil : .idLink(name)
        case .bySHA1:
            return try catalog.summaries(sha1: name).isEmpty ? nil : .sha1Link(name)
        case .bySHA256:
            return try catalog.summaries(sha256: name).isEmpty ? nil : .sha256Link(name)
        case .search:
            return name.isEmpty ? nil : .searchDir(name)
        case let .searchDir(keyword):
            return try searchResult(keyword).hit(named: name).map { .searchLink(keyword, $0.id) }
        case let .filesDir(id):
            if let member = try payloadChild(name, in: parent) { return member }
            return try inlineFile(id, named: name) == nil ? nil : .inlineFile(id, name)
        case .payload:
            return try payloadChild(name, in: parent)
        default:
            return nil
        }
    }

    /// The children of any directory but by-id/, by-sha*/ and search/<keyword>/, whose listings
    /// are made from their names or hits alone (opendir chooses).
    func children(of node: Node) throws -> [(String, Node)] {
        let catalog = repository.catalog
        switch node {
        case .root:
            let fixed: [(String, Node)] = [("incoming", .incoming), ("by-id", .byID), ("by-sha1", .bySHA1),
                                           ("by-sha256", .bySHA256), ("search", .search)]
            return fixed + (try catalog.types()).map { ($0, .typeDir($0)) }
        case .incoming:
            let uploads = handles.uploadNames.compactMap { name in handles.upload(named: name).map { (name, Node.upload($0.handle)) } }
            let inFlight = Set(uploads.map(\.0))
            return uploads + (try catalog.receipts()).filter { !inFlight.contains($0.fileName) }.map { ($0.fileName, .receipt($0.fileName)) }
        case let .typeDir(t):
            return try catalog.operatingSystems(type: t).map { ($0, .osDir(t, $0)) }
        case let .osDir(t, o):
            return try catalog.architectures(type: t, os: o).map { ($0, .archDir(t, o, $0)) }
        case let .archDir(t, o, a):
            let versions = try sortedVersions(type: t, os: o, arch: a).map(\.version)
            return versions.map { ($0, .versionDir(t, o, a, $0)) } + [(PackageLocation.latestName, .latest(t, o, a))]
        case let .versionDir(t, o, a, v):
            return try remembered { try catalog.packages(type: t, os: o, arch: a, version: v) }.map { ($0.location.name, .package($0.id)) }
        case let .package(id):
            guard let summary = try summary(id: id) else { return [] }
            let files: [(String, Node)] = summary.fileName != "files" && summary.hasPayload ? [("files", .filesDir(id))] : []
            // The original first: `rm -rf <PKG>` removes it first, which deletes the package,
            // and the rest is gone with it (ENOENT, which -f passes over).
            return [(summary.fileName, .original(id)), ("meta.json", .meta(id, version: summary.modifiedAt)),
                    ("state", .state(id))] + files
        case .search:
            return []
        case let .filesDir(id):
            let members = try payloadChildren(of: node)
            let taken = Set(members.map(\.0))
            return members + (try inlineFiles(of: id)).filter { !taken.contains($0.name) }.map { ($0.name, .inlineFile(id, $0.name)) }
        case .payload:
            return try payloadChildren(of: node)
        default:
            return []
        }
    }

    /// The node of a name in by-id/, by-sha1/ and by-sha256/, which follows from the name
    /// alone; nil for any other directory.
    static func indexNode(of directory: Node) -> ((String) -> Node)? {
        switch directory {
        case .byID: return { .idLink($0) }
        case .bySHA1: return { .sha1Link($0) }
        case .bySHA256: return { .sha256Link($0) }
        default: return nil
        }
    }

    /// The names of by-id/ (ids and uuids), by-sha1/ and by-sha256/.
    func indexNames(of directory: Node) throws -> PackedNames {
        let catalog = repository.catalog
        switch directory {
        case .byID: return try catalog.idAndUUIDNames()
        case .bySHA1: return try catalog.distinctDigests(.sha1)
        case .bySHA256: return try catalog.distinctDigests(.sha256)
        default: return PackedNames()
        }
    }

    /// Version directories of an arch directory, lowest first by the format's own ordering
    /// (an RPM's epoch first: 1:1.5 is newer than 10.0), one ordering for all of them
    /// (`VersionScheme.shared(by:)`); versions equal by it in byte order.
    func sortedVersions(type: String, os: String, arch: String) throws -> [Catalog.VersionDirectory] {
        let directories = try repository.catalog.versions(type: type, os: os, arch: arch)
        let scheme = VersionScheme.shared(by: directories.map(\.format))
        return directories
            .map { directory -> (directory: Catalog.VersionDirectory, ordered: String) in
                // An RPM's version holds no colon; a deb's carries its own epoch.
                let epoch = scheme != .semver && !directory.version.contains(":") ? directory.epoch.map { "\($0):" } ?? "" : ""
                return (directory, epoch + directory.version)
            }
            .sorted {
                let order = VersionOrder.compare($0.ordered, $1.ordered, scheme: scheme)
                return order != 0 ? order < 0 : Array($0.directory.version.utf8).lexicographicallyPrecedes($1.directory.version.utf8)
            }
            .map(\.directory)
    }

    /// Where `latest` leads: the highest version with an available package (a broken upload of a
    /// newer version is not what a build host should install), else the highest.
    func latestVersion(type: String, os: String, arch: String) throws -> String? {
        let versions = try sortedVersions(type: type, os: os, arch: arch)
        return (versions.last { $0.hasAvailable } ?? versions.last)?.version
    }

    func packageByIDName(_ name: String) throws -> PackageSummary? {
        if let id = Int64(name) { return try summary(id: id) }
        return try repository.catalog.summary(uuid: name)
    }
}
