import Foundation
import PkgfsFUSE
import PkgfsModel
import PkgfsStore

/// Uploads through `incoming/` (SPEC §4): create → write (hashed inline) → close registers.
extension PackageTree {
    public func create(parent: UInt64, name: String, mode: UInt32, flags: Int32, caller: Caller) throws -> (Entry, OpenReply) {
        guard inodes.node(parent) == .incoming else {
            throw FSError.accessDenied("new files can only be created in incoming/")
        }
        try access.requireManager(caller, "upload of \(name)")
        try Self.checkUploadNameLength(name)
        guard !name.isEmpty, !name.hasPrefix(".") || name.count > 2 else {
            throw FSError.invalid("\(name) is not a valid file name")
        }
        if handles.upload(named: name) != nil {
            throw FSError(EBUSY, "\(name) is being uploaded right now")
        }
        // A temporary file is read back before it is renamed into place ("download, verify, mv").
        let session = try mapped {
            try repository.beginUpload(fileName: name, uploader: AccessPolicy.userName(caller.uid), readBack: Upload.isStaging(name))
        }
        let upload = Upload(name: name, session: session, writer: caller)
        let handle = handles.add(.upload(upload))
        var entry = try referencedEntry(for: .upload(handle), parent: parent, name: name)
        // Not cached: once closed the name becomes the receipt link, a different inode.
        entry.entryTimeout = 0
        entry.attributeTimeout = 0
        return (entry, OpenReply(handle: handle, directIO: true, keepCache: false))
    }

    /// FUSE passes names up to 1024 bytes; NAME_MAX is the filesystem's own check.
    static func checkUploadNameLength(_ name: String) throws {
        if name.utf8.count > 255 { throw FSError(ENAMETOOLONG, "\(name.prefix(64))… is longer than 255 bytes") }
    }

    public func write(_ ino: UInt64, handle: UInt64, offset: Int64, data: UnsafeRawBufferPointer, caller: Caller) throws -> Int {
        switch handles.get(handle) {
        case .upload(let upload)?:
            guard !upload.isFinished else { throw FSError(EBADF, "\(upload.name) is already registered") }
            return try mapped { try upload.session.write(at: offset, data) }
        case .stateWrite(let write)?:
            let count = try write.write(at: offset, data)
            // Applied as soon as a line or a word is complete (`StateWrite.isComplete`), so
            // `echo word > state` sees a refusal in write(): shells ignore errors from close().
            if write.isComplete { try applyState(write) }
            return count
        default:
            throw FSError(EBADF, "not open for writing")
        }
    }

    /// The binding answers once the invalidations queued here have been sent, so that the
    /// caller's next stat or ls after close() sees the change.
    public func flush(_ ino: UInt64, handle: UInt64, caller: Caller) throws {
        switch handles.get(handle) {
        case .upload(let upload)? where upload.isStaging:
            return  // registered when renamed into place (`Upload`)
        case .upload(let upload)?:
            // `cat x > incoming/x`, `dd of=`: the shell opens the file, moves it to descriptor 1
            // with dup2 and closes the first descriptor, a flush before any byte arrives (and an
            // error there is ignored). Only the last close (release) registers an upload that is
            // still empty, so `touch incoming/x` still fails here and ends `corrupt`.
            // A first write that failed (a full disk) is the answer, as it is after some bytes.
            if !upload.isFinished && upload.session.size == 0, let failed = upload.session.failedWrite {
                throw FSError(failed)
            }
            if !upload.isFinished && upload.session.size == 0 {
                throw FSError(EIO, "\(upload.name): no bytes written yet; "
                                   + "an empty upload is registered as corrupt when its last descriptor closes", routine: true)
            }
            try finish(upload, caller: caller).get()
        case .stateWrite(let write)?:
            try applyState(write)
        default:
            break
        }
    }

    public func setattr(_ ino: UInt64, handle: UInt64?, changes: AttributeChanges, caller: Caller) throws -> Entry {
        guard let node = inodes.node(ino) else { throw FSError.notFound() }
        switch node {
        case .upload(let h):
            guard let upload = handles.upload(h) else { throw FSError.notFound() }
            if let size = changes.size { try mapped { try upload.session.truncate(to: size) } }
            // Times, mode and owner (`cp -a`, `tar x` as root) are answered, not applied: the
            // package's are facts. The kernel lets only the writer or root ask.
        case .incoming where changes.size == nil:
            break  // `tar x -C incoming/` of an archive holding ./ sets its owner, mode, times: answered
        case _ where changes.ownerChange:
            throw FSError(EPERM, "owners are fixed")
        case .state:
            // `echo x > state` truncates first; the word written is applied on close.
            if let h = handle, case .stateWrite(let write)? = handles.get(h), changes.size == 0 { write.truncate() }
            else if changes.size != nil { try access.requireManager(caller, "truncating state") }
        default:
            if changes.size != nil { throw FSError.accessDenied("only uploads in incoming/ can be written") }
            // Times and modes of registered packages are facts; `cp -p`/`touch` are answered, not applied.
        }
        return try entry(for: node, ino: ino)
    }

    /// What says that `caller` did not end the upload itself: its close came from the kernel
    /// ending it by a signal, so the bytes may stop anywhere (a plain file would look whole).
    private func interruption(of upload: Upload, _ caller: Caller?) -> StateDetail? {
        guard let caller, let signal = caller.terminatingSignal else { return nil }
        let name = String(cString: strsignal(signal))
        return StateDetail(type: "upload", title: "Upload interrupted",
                           detail: "the writer (process \(caller.pid)) was ended by signal \(signal) (\(name)) "
                                   + "after \(upload.session.size) bytes, before it closed the file; upload the whole file again")
    }

    /// Registers the upload once; the answer close() gets (SPEC §4).
    func finish(_ upload: Upload, caller: Caller?) -> Result<Void, FSError> {
        upload.finish {
            do {
                // A bundle shows as `verifying` while it is checked: tell the kernel then too.
                let outcome = try repository.finishUpload(upload.session, interruption: interruption(of: upload, caller),
                                                          registeredAsVerifying: { first in
                    packageChanged(first.package, replacing: { if case .replaced(let old, _) = first { return old } else { return nil } }())
                })
                handles.releaseName(of: upload)
                packageChanged(outcome.package, replacing: { if case .replaced(let old, _) = outcome { return old } else { return nil } }())
                let package = outcome.package
                guard package.state == .available else {
                    let reasons = package.stateDetails.map { "\($0.title): \($0.detail)" }.joined(separator: "; ")
                    return .failure(FSError(EIO, "\(package.fileName) registered as \(package.state.rawValue): \(reasons)"))
                }
                return .success(())
            } catch {
                handles.releaseName(of: upload)
                uploadVanished()
                return .failure(FSError(error))
            }
        }
    }
}

extension PackageTree {
    /// Uploads open or unregistered right now, with their sizes: what an unmount leaves unregistered.
    public var uploadsInProgress: [(name: String, size: Int64)] {
        handles.uploadNames.sorted().compactMap { name in
            guard let upload = handles.upload(named: name)?.upload, !upload.isFinished else { return nil }
            return (name, upload.session.size)
        }
    }
}
