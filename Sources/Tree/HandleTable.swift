import Foundation
import PkgfsFUSE
import PkgfsFormats
import PkgfsModel
import PkgfsStore

/// What an open file handle refers to.
enum OpenFile: Sendable {
    /// The original bytes of a package: a read-only descriptor on its blob.
    case blob(Int32)
    /// A generated file (meta.json, state, a bundle's inline file).
    case generated(GeneratedFile)
    case upload(Upload)
    case stateWrite(StateWrite)
    /// A file of a package's payload (`files/...`), streamed out of the archive.
    case payload(PayloadStream)
}

/// The bytes of a generated file, made at the first read that reaches pkgfs and then fixed, so
/// the reads of one open agree. An open whose pages the kernel still holds is never read here,
/// so it costs no rendering (an RPM's meta.json takes milliseconds to render).
final class GeneratedFile: @unchecked Sendable {
    // @unchecked: `made` is guarded by `lock`; `make` is only called under it.
    private let lock = NSLock()
    private var made: [UInt8]?
    private let make: () throws -> [UInt8]

    init(_ make: @escaping () throws -> [UInt8]) {
        self.make = make
    }

    init(fixed bytes: [UInt8]) {
        made = bytes
        make = { bytes }
    }

    func bytes() throws -> [UInt8] {
        try lock.withLock {
            if let made { return made }
            let bytes = try make()
            made = bytes
            return bytes
        }
    }
}

/// An upload in `incoming/` from create to release. `finish` runs once; later flushes
/// (a dup'd descriptor closed again) get the same answer.
///
/// One whose name starts with a dot is a temporary file (`isStaging`): rsync, ansible and
/// atomic writers write `.name.XXXX` and rename it to its final name when it is complete. It
/// is registered under that name by the rename, and kept until then, closed or not.
final class Upload: @unchecked Sendable {
    // @unchecked: `outcome` and `released` are guarded by `lock`; the rest is immutable.
    let name: String
    let session: UploadSession
    /// Who writes it: the file shows as theirs until it is registered, so what `cp -p` and
    /// `tar x` do to their own new file (times, mode) is theirs to do.
    let writer: Caller
    private let lock = NSLock()
    private var outcome: Result<Void, FSError>?
    private var released = false

    init(name: String, session: UploadSession, writer: Caller) {
        self.name = name
        self.session = session
        self.writer = writer
    }

    var isStaging: Bool { Self.isStaging(name) }

    static func isStaging(_ name: String) -> Bool { name.hasPrefix(".") }

    var isFinished: Bool { lock.withLock { outcome != nil } }

    /// Its last descriptor is closed; true if it was finished before (its handle can go).
    func markReleased() -> Bool {
        lock.withLock {
            released = true
            return outcome != nil
        }
    }

    var isReleased: Bool { lock.withLock { released } }

    func finish(_ body: () -> Result<Void, FSError>) -> Result<Void, FSError> {
        lock.withLock {
            if let outcome { return outcome }
            let result = body()
            outcome = result
            return result
        }
    }
}

/// `echo corrupt > state`: the text written, applied on close.
final class StateWrite: @unchecked Sendable {
    // @unchecked: `buffer` and `applied` are guarded by `lock`.
    let packageID: Int64
    let caller: Caller
    private let lock = NSLock()
    private var buffer: [UInt8] = []
    private var applied = false

    init(packageID: Int64, caller: Caller) {
        self.packageID = packageID
        self.caller = caller
    }

    /// Whether what was written can be applied now: a whole line, or without a newline
    /// (`printf corrupt > state`) a whole state word or text no state word starts with, so the
    /// answer comes from write(), which shells report, not from close(), which they ignore.
    var isComplete: Bool {
        lock.withLock {
            if buffer.contains(0x0A) { return true }
            let text = String(decoding: buffer, as: UTF8.self)
            return PackageState.allCases.allSatisfy { $0.rawValue == text || !$0.rawValue.hasPrefix(text) }
        }
    }

    func truncate() {
        lock.withLock { buffer.removeAll() }
    }

    func write(at offset: Int64, _ data: UnsafeRawBufferPointer) throws -> Int {
        try lock.withLock {
            guard offset >= 0, offset + Int64(data.count) <= 4096 else { throw FSError(EFBIG, "state takes one word") }
            let end = Int(offset) + data.count
            if buffer.count < end { buffer += [UInt8](repeating: 0x20, count: end - buffer.count) }
            buffer.replaceSubrange(Int(offset)..<end, with: data)
            return data.count
        }
    }

    /// The written word, once; nil when nothing was written or it was already applied.
    func take() -> String? {
        lock.withLock {
            guard !applied, !buffer.isEmpty else { return nil }
            applied = true
            return String(decoding: buffer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}

/// Open handles by number.
final class HandleTable: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var open: [UInt64: OpenFile] = [:]
    private var uploadsByName: [String: UInt64] = [:]
    private var next: UInt64 = 1

    func add(_ file: OpenFile) -> UInt64 {
        lock.withLock {
            let handle = next
            next += 1
            open[handle] = file
            if case let .upload(upload) = file { uploadsByName[upload.name] = handle }
            return handle
        }
    }

    func get(_ handle: UInt64) -> OpenFile? {
        lock.withLock { open[handle] }
    }

    func remove(_ handle: UInt64) -> OpenFile? {
        lock.withLock {
            let file = open.removeValue(forKey: handle)
            if case let .upload(upload) = file, uploadsByName[upload.name] == handle {
                uploadsByName.removeValue(forKey: upload.name)
            }
            return file
        }
    }

    /// The entry of an open payload file (`files/<path>` of package `packageID`), if any.
    func openPayloadEntry(packageID: Int64, path: String) -> PayloadEntry? {
        lock.withLock {
            for case let .payload(stream) in open.values where stream.packageID == packageID && stream.entry.path == path {
                return stream.entry
            }
            return nil
        }
    }

    /// The upload in flight under `name`, if any and not yet finished.
    func upload(named name: String) -> (handle: UInt64, upload: Upload)? {
        lock.withLock {
            guard let handle = uploadsByName[name], case let .upload(upload)? = open[handle] else { return nil }
            return (handle, upload)
        }
    }

    /// Forget the name once the upload is registered, so the receipt shows instead.
    func releaseName(of upload: Upload) {
        lock.withLock {
            if let handle = uploadsByName[upload.name], case let .upload(current)? = open[handle], current === upload {
                uploadsByName.removeValue(forKey: upload.name)
            }
        }
    }

    func upload(_ handle: UInt64) -> Upload? {
        lock.withLock {
            if case let .upload(upload)? = open[handle] { return upload }
            return nil
        }
    }

    var uploadNames: [String] {
        lock.withLock { Array(uploadsByName.keys) }
    }
}
