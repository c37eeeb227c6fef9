import Foundation
import PkgfsFUSE
import PkgfsModel
import PkgfsStore

/// Extended attributes (SPEC §2, §4): `user.pkgfs.*` facts on package directories,
/// `user.label.<name>` labels, and expected digests on uploads in flight.
extension PackageTree {
    static let labelPrefix = "user.label."
    static let unsupportedNamespaces = ["security.", "system.", "trusted."]

    public func listxattr(_ ino: UInt64) throws -> [String] {
        guard case .package(let id)? = inodes.node(ino) else { return [] }
        guard let package = try mapped({ try repository.catalog.package(id: id) }) else { throw FSError.notFound() }
        return ["user.pkgfs.id", "user.pkgfs.uuid", "user.pkgfs.sha1", "user.pkgfs.sha256", "user.pkgfs.state"]
            + package.labels.map { Self.labelPrefix + $0.name }
    }

    public func getxattr(_ ino: UInt64, name: String) throws -> [UInt8] {
        // `ls -l` asks every entry for security.selinux and its POSIX ACLs (system.posix_acl_*).
        // "Not supported" (rather than "not set") lets ls remember that for the whole mount
        // instead of a round trip per entry.
        if Self.unsupportedNamespaces.contains(where: name.hasPrefix) {
            throw FSError(EOPNOTSUPP, routine: true)
        }
        guard name.hasPrefix("user."), case .package(let id)? = inodes.node(ino) else { throw FSError(ENODATA) }
        guard let package = try mapped({ try repository.catalog.package(id: id) }) else { throw FSError.notFound() }
        let value: String?
        switch name {
        case "user.pkgfs.id": value = String(package.id)
        case "user.pkgfs.uuid": value = package.uuid
        case "user.pkgfs.sha1": value = package.sha1
        case "user.pkgfs.sha256": value = package.sha256
        case "user.pkgfs.state": value = package.state.rawValue
        default:
            value = name.hasPrefix(Self.labelPrefix)
                ? package.labels.first { $0.name == name.dropFirst(Self.labelPrefix.count) }?.value : nil
        }
        guard let value else { throw FSError(ENODATA) }
        return Array(value.utf8)
    }

    /// `flags`: XATTR_CREATE (EEXIST if the label is set) or XATTR_REPLACE (ENODATA if it is not),
    /// which a script uses to claim a label only once.
    public func setxattr(_ ino: UInt64, name: String, value: [UInt8], flags: Int32, caller: Caller) throws {
        let text = String(decoding: value, as: UTF8.self)
        switch inodes.node(ino) {
        case .upload(let handle)?:
            guard let upload = handles.upload(handle) else { throw FSError.notFound() }
            switch name {
            case "user.pkgfs.sha256": try expect(upload, "sha256", text, length: 64)
            case "user.pkgfs.sha1": try expect(upload, "sha1", text, length: 40)
            case _ where name.hasPrefix("user.pkgfs."):
                throw FSError(ENOTSUP, "uploads take user.pkgfs.sha256 or user.pkgfs.sha1")
            case _ where name.hasPrefix("user."):
                return  // `cp -a`, `rsync -X`: answered, not kept, as an upload's times and mode are
            default:
                // The ACLs `cp -a` copies: not supported here, as on every other file (no log line).
                throw FSError(ENOTSUP, routine: true)
            }
        case .package(let id)?:
            // Namespaces other than user.* do not exist here (README): ENOTSUP, as getxattr says.
            guard name.hasPrefix("user.") else {
                throw FSError(ENOTSUP, "\(name): only user.* attributes exist here; labels are user.label.<name>")
            }
            guard name.hasPrefix(Self.labelPrefix) else {
                throw FSError(EPERM, "\(name) is read-only; labels are user.label.<name>")
            }
            guard name.count > Self.labelPrefix.count else { throw FSError.invalid("a label needs a name: user.label.<name>") }
            try access.requireManager(caller, "labelling package \(id)")
            // A label is text in meta.json: bytes that are not UTF-8 would come back changed.
            guard String(validating: value, as: UTF8.self) != nil else {
                throw FSError.invalid("the value of \(name) is not UTF-8 text")
            }
            try changeLabels(id, caller: caller) { labels in
                let label = String(name.dropFirst(Self.labelPrefix.count))
                let exists = labels.contains { $0.name == label }
                if flags & XattrFlags.create != 0 && exists { throw FSError(EEXIST, "label \(label) is already set", routine: true) }
                if flags & XattrFlags.replace != 0 && !exists { throw FSError(ENODATA, routine: true) }
                labels.removeAll { $0.name == label }
                labels.append(Label(name: label, value: text))
                try Self.checkRoom(for: labels)
            }
        default:
            throw FSError(ENOTSUP, "extended attributes are set on package directories and uploads only")
        }
    }

    /// Labels travel in every meta.json and in `listxattr`, whose answer the kernel caps at
    /// 64 KiB: past that, `getfattr -d`, `cp -a` and `rsync -X` of the package fail (E2BIG).
    /// The names must fit that list, and names and values together 1 MiB; else ENOSPC, as a
    /// filesystem out of room for attributes answers.
    static let labelBytesLimit = 1 << 20

    static func checkRoom(for labels: [Label]) throws {
        let listed = 100 + labels.reduce(0) { $0 + labelPrefix.utf8.count + $1.name.utf8.count + 1 }
        if listed > Int(XATTR_LIST_MAX) {
            throw FSError(ENOSPC, "\(labels.count) labels: their names would list more than \(XATTR_LIST_MAX) bytes; remove some first")
        }
        let total = labels.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        if total > labelBytesLimit {
            throw FSError(ENOSPC, "labels of a package hold at most \(labelBytesLimit >> 20) MiB; these would hold \(total) bytes")
        }
    }

    public func removexattr(_ ino: UInt64, name: String, caller: Caller) throws {
        guard case .package(let id)? = inodes.node(ino), name.hasPrefix(Self.labelPrefix) else {
            throw FSError(EPERM, "\(name) cannot be removed")
        }
        try access.requireManager(caller, "unlabelling package \(id)")
        let label = String(name.dropFirst(Self.labelPrefix.count))
        try changeLabels(id, caller: caller) { labels in
            guard labels.contains(where: { $0.name == label }) else { throw FSError(ENODATA) }
            labels.removeAll { $0.name == label }
        }
    }

    private func expect(_ upload: Upload, _ algorithm: String, _ hex: String, length: Int) throws {
        let clean = hex.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard clean.count == length, clean.allSatisfy({ $0.isHexDigit }) else {
            throw FSError.invalid("\(algorithm) must be \(length) hex digits")
        }
        upload.session.expectDigest(algorithm, hex: clean)
    }

    private func changeLabels(_ id: Int64, caller: Caller, _ change: (inout [Label]) throws -> Void) throws {
        let updated = try mapped { try repository.catalog.changeLabels(id: id, by: AccessPolicy.userName(caller.uid), change) }
        packageChanged(updated, replacing: nil)
    }
}
