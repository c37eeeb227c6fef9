import Foundation

/// Everything the tree can show, named by what it is rather than by path.
/// Inode numbers are handed out per node and stay stable while mounted.
///
/// The inode table keeps a node per inode the kernel holds, twice: cases with more than one
/// string or a string and a number are `indirect`, so that a node takes 24 bytes, not 72.
enum Node: Hashable, Sendable {
    case root
    case incoming
    /// A file being uploaded, by its upload handle.
    case upload(UInt64)
    /// `incoming/<fileName>` after a successful upload: a link to the package directory.
    case receipt(String)
    case typeDir(String)
    indirect case osDir(String, String)
    indirect case archDir(String, String, String)
    indirect case versionDir(String, String, String, String)
    indirect case latest(String, String, String)
    case package(Int64)
    /// `<PKG>/meta.json` as rendered at the package's modification time `version`. A change
    /// gives the name a new node, as a file replaced by rename: a reader that has the old one
    /// open keeps reading the old document, whole, at the size it was shown (`MetaCache`).
    case meta(Int64, version: Double)
    case state(Int64)
    case original(Int64)
    case byID
    /// `by-id/<id>` or `by-id/<uuid>`.
    case idLink(String)
    case bySHA1
    case sha1Link(String)
    case bySHA256
    case sha256Link(String)
    case search
    case searchDir(String)
    indirect case searchLink(String, Int64)
    /// `<PKG>/files/`: the payload root of a package that has one.
    case filesDir(Int64)
    /// `<PKG>/files/<path>`: one payload entry, by its normalized path; `type` is its recorded
    /// `S_IFMT` bits (a package's payload never changes, so neither does an entry's type).
    indirect case payload(Int64, path: String, type: UInt32)
    /// `<PKG>/files/<fileName>`: a bundle's inline `files[]` entry, decoded.
    indirect case inlineFile(Int64, String)

    var isDirectory: Bool {
        switch self {
        case .root, .incoming, .typeDir, .osDir, .archDir, .versionDir, .package, .byID, .bySHA1, .bySHA256,
             .search, .searchDir, .filesDir:
            return true
        case let .payload(_, _, type):
            return type == UInt32(S_IFDIR)
        default:
            return false
        }
    }

    var isSymlink: Bool {
        switch self {
        case .receipt, .latest, .idLink, .sha1Link, .sha256Link, .searchLink: return true
        case let .payload(_, _, type): return type == UInt32(S_IFLNK)
        default: return false
        }
    }

    /// The name this node has in its directory, when the node holds it as a string: the inode
    /// table keeps that string rather than a copy of the kernel's (a by-sha256 name is 64 bytes).
    var ownName: String? {
        switch self {
        case let .receipt(name), let .typeDir(name), let .idLink(name), let .sha1Link(name), let .sha256Link(name),
             let .searchDir(name), let .osDir(_, name), let .archDir(_, _, name), let .versionDir(_, _, _, name),
             let .inlineFile(_, name):
            return name
        default:
            return nil
        }
    }

    /// The package this node shows, if it shows exactly one.
    var packageID: Int64? {
        switch self {
        case let .package(id), let .meta(id, _), let .state(id), let .original(id), let .searchLink(_, id): return id
        case let .filesDir(id), let .payload(id, _, _), let .inlineFile(id, _): return id
        default: return nil
        }
    }

}
