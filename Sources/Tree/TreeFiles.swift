import Foundation
import PkgfsFUSE
import PkgfsModel
import PkgfsStore

/// Opening and reading files.
extension PackageTree {
    public func open(_ ino: UInt64, flags: Int32, caller: Caller) throws -> OpenReply {
        guard let node = inodes.node(ino) else { throw FSError.notFound() }
        let writing = flags & O_ACCMODE != O_RDONLY
        switch node {
        case .original(let id):
            if writing { throw FSError.accessDenied("the original bytes of a package are read-only; upload through incoming/") }
            guard let package = try mapped({ try repository.catalog.package(id: id) }) else { throw FSError.notFound() }
            // Reads pass through to the blob, unseen: `openBlob` checks its size; other damage
            // is found by `pkgfs check`. Only a blob missing or of the wrong size is damage.
            let fd: Int32
            switch repository.openBlob(of: package) {
            case .success(let opened):
                fd = opened
            case .failure(let finding):
                if finding.errno == nil || finding.errno == ENOENT { try storedBytesDamaged(package, finding.description) }
                throw FSError(EIO, "\(package.fileName): \(finding)")
            }
            return .cachedReadOnly(handles.add(.blob(fd)), passthroughFD: fd)
        case let .meta(id, version):
            if writing { throw FSError.accessDenied("meta.json is generated and read-only") }
            // Opened through a name the kernel has not dropped yet after a change (a label set on
            // the package directory, which it holds locked until the reply, drops it just after):
            // ESTALE, and the kernel looks the name up again and opens the new inode.
            if metaCache.refusesOpen(id, version: version, task: caller.pid) {
                throw FSError(ESTALE, "meta.json of package \(id) changed since it was looked up", routine: true)
            }
            // No catalog read here: the kernel serves a warm meta.json from its page cache and
            // only opens it, so the first read, if any, renders it or finds the package gone.
            let meta = GeneratedFile { [self] in try mapped { try metaJSON(id, version: version) } }
            return .cachedReadOnly(handles.add(.generated(meta)))
        case .state(let id):
            if writing {
                try access.requireManager(caller, "changing the state of package \(id)")
                return OpenReply(handle: handles.add(.stateWrite(StateWrite(packageID: id, caller: caller))), directIO: true)
            }
            guard let summary = try mapped({ try summary(id: id) }) else { throw FSError.notFound() }
            // Direct: `echo corrupt > state` truncates and writes this same inode, and the kernel
            // sets the size it holds from those, not from pkgfs; a read from its page cache was
            // cut or padded to it ("availabl").
            return OpenReply(handle: handles.add(.generated(GeneratedFile(fixed: stateText(summary.state)))), directIO: true, noFlush: true)
        case .inlineFile(let id, let name):
            if writing { throw FSError.accessDenied("files/ shows the payload of a package; it is read-only") }
            guard let bytes = try inlineFile(id, named: name) else { throw FSError.notFound() }
            return .cachedReadOnly(handles.add(.generated(GeneratedFile(fixed: bytes))))
        case .payload(let id, let path, _):
            if writing { throw FSError.accessDenied("files/ shows the payload of a package; it is read-only") }
            return .cachedReadOnly(handles.add(.payload(try openPayload(id, path: path))))
        case .upload(let h):
            // A temporary upload reads back what was written so far; nothing reopens one to write.
            guard !writing, let upload = handles.upload(h), upload.isStaging, !upload.isFinished else {
                throw FSError(EBUSY, "an upload of this name is in progress; it is registered when its writer closes it")
            }
            let fd = upload.session.openForReading()
            guard fd >= 0 else { throw FSError(EIO, "\(upload.name) cannot be read back: \(String(cString: strerror(errno)))") }
            return OpenReply(handle: handles.add(.blob(fd)), directIO: true)
        default:
            throw node.isDirectory ? FSError(EISDIR) : FSError(EINVAL)
        }
    }

    /// Marks the package corrupt (`Repository.storedBytesDamaged`) and tells the kernel, also
    /// when another path (an HTTP download) found it first; ENOENT when a delete took it meanwhile.
    private func storedBytesDamaged(_ package: Package, _ finding: String) throws {
        guard let now = try mapped({ try repository.storedBytesDamaged(package, finding) }) else { throw FSError.notFound() }
        packageChanged(now, replacing: nil)
    }

    public func read(_ ino: UInt64, handle: UInt64, offset: Int64, size: Int) throws -> [UInt8] {
        switch handles.get(handle) {
        case .blob(let fd)?:
            return try readBytes(fd, count: size, at: offset, of: "the blob")
        case .generated(let file)?:
            let bytes = try file.bytes()
            guard offset < bytes.count else { return [] }
            let start = Int(offset)
            return Array(bytes[start..<min(bytes.count, start + size)])
        case .payload(let stream)?:
            return try mapped { try stream.read(at: offset, size: size) }
        case .upload?, .stateWrite?:
            throw FSError(EBADF, "opened for writing")
        case nil:
            throw FSError(EBADF)
        }
    }

    public func release(_ ino: UInt64, handle: UInt64) {
        // A temporary upload stays, closed, until it is renamed into place or removed.
        if let upload = handles.upload(handle), upload.isStaging, !upload.markReleased() { return }
        switch handles.remove(handle) {
        case .blob(let fd)?:
            close(fd)
        case .upload(let upload)?:
            // A writer that vanished without flushing still gets its upload registered.
            _ = finish(upload, caller: nil)
        case .stateWrite(let write)?:
            _ = try? applyState(write)
        case .payload(let stream)?:
            payloadClosed(stream)
        default:
            break
        }
    }
}

/// Up to `count` bytes of the file open as `fd` from `offset` (fewer at its end), read into a
/// buffer that is not zeroed first; a failure is EIO naming `what`.
func readBytes(_ fd: Int32, count: Int, at offset: Int64, of what: String) throws -> [UInt8] {
    var failure: Int32 = 0
    let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
        let n = pread(fd, buffer.baseAddress!, count, off_t(offset))
        if n < 0 { failure = errno }
        filled = max(n, 0)
    }
    guard failure == 0 else { throw FSError(EIO, "reading \(what) failed: \(String(cString: strerror(failure)))") }
    return bytes
}
