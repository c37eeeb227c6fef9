import Foundation
import PkgfsFormats

/// Notes in notes/ that the blob of a digest is changing hands: moved in before the catalog
/// commit that refers to it, or to be removed after the commit that dropped its last package.
/// A crash in between leaves the note (and the blob unreferenced); the next start
/// (`Repository.init`) removes the blob unless a package refers to it.
///
/// A note is the content of one of a few slot files, reused, not a file of its own. A file
/// created and deleted per upload made each later upload slower: ext4 without a journal skips
/// inodes deleted in the last minute when it allocates one, reading each on the way (5,000
/// uploads of 50 KiB went from 7 to 12 ms each).
final class PendingNotes: @unchecked Sendable {
    // @unchecked: `free` and `made` are guarded by `lock`; a slot's file is used by the one
    // holder of its note.
    private let lock = NSLock()
    private let directory: String
    private var free: [Int32] = []
    private var made = 0

    static let prefix = "pending-blob-"
    private static let blank = Array((String(repeating: " ", count: 64) + "\n").utf8)
    private static let slotPrefix = prefix + "slot-"

    init(directory: String) {
        self.directory = directory
    }

    deinit {
        free.forEach { close($0) }
    }

    /// Writes the note; `clear` it once the change is committed (or known not to happen).
    func note(sha256: String) -> PendingNote {
        let slot = lock.withLock { () -> Int32? in
            if let fd = free.popLast() { return fd }
            made += 1
            let fd = open("\(directory)/\(Self.slotPrefix)\(made)", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            return fd >= 0 ? fd : nil
        }
        guard let slot else { return PendingNote(notes: self, slot: -1) }
        let line = Array((sha256 + "\n").utf8)
        _ = line.withUnsafeBytes { pwrite(slot, $0.baseAddress, $0.count, 0) }
        return PendingNote(notes: self, slot: slot)
    }

    /// Blanks the slot in place: a digest is always 64 characters, so the line is overwritten
    /// whole. Truncating the file instead changed its size twice per upload, 35 µs of work in
    /// ext4 each time.
    fileprivate func clear(_ slot: Int32) {
        guard slot >= 0 else { return }
        _ = Self.blank.withUnsafeBytes { pwrite(slot, $0.baseAddress, $0.count, 0) }
        lock.withLock { free.append(slot) }
    }

    /// The digests of the notes a crash left: the slots' contents in `layout.notesDirectory`, and
    /// the names of the one-file notes (`tmp/pending-blob-<sha256>-<tag>`) earlier versions wrote.
    static func digests(in layout: StoreLayout) -> Set<String> {
        let fm = FileManager.default
        var digests = Set<String>()
        for name in (try? fm.contentsOfDirectory(atPath: layout.notesDirectory)) ?? [] where name.hasPrefix(slotPrefix) {
            let text = (try? String(contentsOfFile: "\(layout.notesDirectory)/\(name)", encoding: .utf8)) ?? ""
            digests.formUnion(text.split(separator: "\n").filter { Hex.isLowercase($0, count: 64) }.map(String.init))
        }
        for name in (try? fm.contentsOfDirectory(atPath: layout.temporaryDirectory)) ?? [] where name.hasPrefix(prefix) {
            let digest = String(name.dropFirst(prefix.count).prefix(64))
            if Hex.isLowercase(digest, count: 64) { digests.insert(digest) }
        }
        return digests
    }

    /// Drops the slots once their notes have been acted on (at open, before any new note).
    static func removeAll(in layout: StoreLayout) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.notesDirectory)) ?? [] {
            unlink("\(layout.notesDirectory)/\(name)")
        }
    }
}

/// One written note; `clear()` takes it back.
struct PendingNote {
    fileprivate let notes: PendingNotes
    fileprivate let slot: Int32

    func clear() {
        notes.clear(slot)
    }
}
