import Foundation
import PkgfsFUSE
import PkgfsStore

/// Temporary uploads (`Upload.isStaging`): rsync, ansible and atomic writers write `.name.XXXX`
/// in incoming/ and rename it to its final name; the rename registers it.
extension PackageTree {
    // Linux's renameat2 flags (linux/fs.h), which Glibc's module does not export.
    static let renameNoReplace: UInt32 = 1
    static let renameExchange: UInt32 = 2

    public func rename(parent: UInt64, name: String, newParent: UInt64, newName: String, flags: UInt32, caller: Caller) throws {
        guard inodes.node(parent) == .incoming, inodes.node(newParent) == .incoming,
              let (handle, upload) = handles.upload(named: name), upload.isStaging, !upload.isFinished else {
            throw FSError.accessDenied("\(name) cannot be renamed: only a temporary upload in incoming/ (a name starting with a dot) is, to its final name there")
        }
        try access.requireManager(caller, "upload of \(newName)")
        if flags & Self.renameExchange != 0 { throw FSError.invalid("incoming/ does not exchange names") }
        if flags & ~Self.renameNoReplace != 0 { throw FSError.invalid("rename flags \(flags) are not supported here") }
        try Self.checkUploadNameLength(newName)
        if newName.hasPrefix(".") { throw FSError.invalid("\(newName): a final upload name cannot start with a dot") }
        if handles.upload(named: newName) != nil { throw FSError(EBUSY, "\(newName) is being uploaded right now") }
        if flags & Self.renameNoReplace != 0, try mapped({ try repository.catalog.receipt(fileName: newName) }) != nil {
            throw FSError(EEXIST, "\(newName) is already in incoming/")
        }
        try mapped { try upload.session.rename(to: newName) }
        let outcome = finish(upload, caller: caller)
        if upload.isReleased { _ = handles.remove(handle) }
        try outcome.get()
    }

    /// `rm incoming/.name.XXXX`: the temporary upload and its bytes go; a descriptor still
    /// open on it gets EBADF for further writes.
    func removeStaged(_ upload: Upload, handle: UInt64) {
        _ = upload.finish { .failure(FSError(EBADF, "\(upload.name) was removed")) }
        handles.releaseName(of: upload)
        upload.session.discard()
        if upload.isReleased { _ = handles.remove(handle) }
        uploadVanished()
    }
}
