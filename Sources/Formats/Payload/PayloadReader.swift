import Foundation

/// Reads the bytes of one payload entry at (offset, length) straight out of the archive,
/// without extracting the payload to memory or disk: it opens a libarchive reader, skips
/// headers up to the entry, discards data up to `offset` and decompresses only up to
/// `offset + length`.
///
/// **Cursor cache.** Decompressing from the start of the payload for every `read()` would
/// make `cat` of a large file quadratic, so the reader keeps the last few open, positioned
/// libarchive readers ("cursors": header index + bytes consumed of that entry), at most
/// `maxCursors` (least recently used dropped first). A read takes the cursor that is
/// furthest along but not past the requested position — same entry at or before
/// `offset`, or an earlier entry — and moves it forward; afterwards the cursor goes back to
/// the cache, so a sequential reader (`cat` asking for 128 KiB at a time) continues where
/// the previous read stopped, and reading files in archive order never restarts. Compressed
/// streams cannot go backwards: a read before every cached cursor opens the archive again
/// and decompresses from the start. A cursor is used by one read at a time (it is taken out
/// of the cache while in use); concurrent reads of one entry each get their own. Each open
/// cursor holds the decompressor's state (an xz dictionary can be tens of MiB), so
/// `maxCursors` bounds memory; `closeCursors()` releases them. The file is opened once, when
/// the reader is made: its cursors share that descriptor, and read on if the file is unlinked.
///
/// **Limits.** An entry that yields more bytes than its declared `size` is a
/// decompression bomb (or a lie): the read stops with `FormatError.limitExceeded`. One
/// that yields fewer is `FormatError.truncated`. The entry must come from
/// `listPayload` of the same file or, for an RPM, from its header
/// (`RPMPackage.payloadListing`): the header at `dataIndex` must have the entry's path. When
/// it has not (an RPM archive ordered unlike rpm ≥ 4.12 orders it), the reader lists the
/// archive once and reads the member where it really is.
///
/// Thread safety: `@unchecked Sendable` because the only mutable state, `cursors` and
/// `stats`, is accessed under `lock` (`archiveListing` under `listingLock`), and a `PayloadCursor` (which wraps a non-thread-safe
/// libarchive handle) is owned by exactly one thread between `takeCursor` and
/// `returnCursor`.
public final class PayloadReader: @unchecked Sendable {
    public struct Statistics: Sendable, Equatable {
        /// Times the archive was opened (a cursor created).
        public var opens = 0
        /// Reads served by a cached cursor.
        public var reuses = 0
        /// Bytes decompressed and thrown away to reach a requested offset.
        public var discarded: Int64 = 0
        /// Times the archive was listed because an entry was not where its listing said.
        public var relistings = 0
    }

    public let path: String
    public let container: PayloadContainer
    public let maxCursors: Int

    private let location: PayloadLocation
    private let lock = NSLock()
    private var cursors: [PayloadCursor] = []  // guarded by lock, least recently used first
    private var stats = Statistics()    // guarded by lock
    private let listingLock = NSLock()
    private var archiveListing: [String: PayloadEntry]?  // guarded by listingLock
    private static let chunk = 64 * 1024

    /// For `.debData` the ar container is parsed here, once.
    public init(path: String, container: PayloadContainer, maxCursors: Int = 4) throws {
        self.path = path
        self.container = container
        self.maxCursors = max(0, maxCursors)
        self.location = try PayloadLocation(path: path, container: container)
    }

    public var statistics: Statistics {
        lock.lock(); defer { lock.unlock() }
        return stats
    }

    /// Drops every cached cursor (closes their files and decompressors).
    public func closeCursors() {
        lock.lock()
        let dropped = cursors
        cursors.removeAll()
        lock.unlock()
        _ = dropped  // freed here, outside the lock
    }

    /// Up to `length` bytes of `entry` from `offset`: fewer only at the end of the entry,
    /// none at or after it.
    public func read(_ entry: PayloadEntry, offset: Int64, length: Int) throws -> [UInt8] {
        guard entry.hasData, let dataIndex = entry.dataIndex else {
            throw FormatError.invalid(format: location.format,
                                      reason: "'\(entry.path)' is a \(entry.kind.rawValue); it has no bytes to read")
        }
        guard offset >= 0, length >= 0 else {
            throw FormatError.invalid(format: location.format,
                                      reason: "read of '\(entry.path)' at offset \(offset), length \(length)")
        }
        if offset >= entry.size || length == 0 { return [] }
        let end = offset + min(Int64(length), entry.size - offset)
        do {
            return try read(entry, dataIndex: dataIndex, from: offset, to: end)
        } catch let error as FormatError {
            // An RPM's listing comes from its header, which predicts where rpm puts each member;
            // an archive ordered otherwise (another builder, an old rpm's hard links) is read
            // through its own listing. Any other failure stays what it was.
            guard container == .rpm, let actual = archiveEntry(at: entry.path),
                  let actualIndex = actual.dataIndex, actual.size == entry.size,
                  actualIndex != dataIndex || actual.dataPath != entry.dataPath else { throw error }
            return try read(actual, dataIndex: actualIndex, from: offset, to: end)
        }
    }

    private func read(_ entry: PayloadEntry, dataIndex: Int, from offset: Int64, to end: Int64) throws -> [UInt8] {
        let cursor = try takeCursor(index: dataIndex, offset: offset)
        let out = try cursor.read(entry, dataIndex: dataIndex, from: offset, to: end,
                                  format: location.format)
        returnCursor(cursor)
        return out
    }

    /// The archive's own entry for `path`, listed once (the whole payload is decompressed for it).
    private func archiveEntry(at path: String) -> PayloadEntry? {
        listingLock.lock(); defer { listingLock.unlock() }
        if archiveListing == nil {
            let entries = (try? listPayload(location)) ?? []
            archiveListing = Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { $1 })
            lock.withLock { stats.relistings += 1 }
        }
        return archiveListing?[path]
    }

    /// Whether a read of `entry` at `offset` can continue an open cursor, rather than open the
    /// archive again and decompress from the start of the payload.
    public func canContinue(_ entry: PayloadEntry, at offset: Int64) -> Bool {
        guard let dataIndex = entry.dataIndex else { return false }
        lock.lock(); defer { lock.unlock() }
        return cursors.contains { $0.canReach(index: dataIndex, offset: offset) }
    }

    /// The whole entry (convenience for small files; large ones should be read in pieces).
    public func readAll(_ entry: PayloadEntry) throws -> [UInt8] {
        try read(entry, offset: 0, length: Int(entry.size))
    }

    private func takeCursor(index: Int, offset: Int64) throws -> PayloadCursor {
        lock.lock()
        var best: Int?
        for (i, c) in cursors.enumerated() where c.canReach(index: index, offset: offset) {
            if let b = best, !(cursors[b].isBefore(c)) { continue }
            best = i
        }
        if let best {
            let c = cursors.remove(at: best)
            stats.reuses += 1
            lock.unlock()
            return c
        }
        stats.opens += 1
        lock.unlock()
        return PayloadCursor(handle: try location.open())
    }

    private func returnCursor(_ cursor: PayloadCursor) {
        var evicted: [PayloadCursor] = []
        lock.lock()
        stats.discarded += cursor.discardedSinceTaken
        cursor.discardedSinceTaken = 0
        if maxCursors > 0 {
            cursors.append(cursor)
            if cursors.count > maxCursors {
                evicted = Array(cursors.prefix(cursors.count - maxCursors))
                cursors.removeFirst(cursors.count - maxCursors)
            }
        }
        lock.unlock()
        _ = evicted  // freed here, outside the lock
    }
}

/// An open libarchive reader positioned inside the payload.
/// Not thread-safe; `PayloadReader` hands it to one thread at a time.
final class PayloadCursor {
    let handle: ArchiveHandle
    /// Index of the current header; -1 before the first.
    private(set) var headerIndex = -1
    /// Bytes of the current entry's data consumed so far.
    private(set) var position: Int64 = 0
    var discardedSinceTaken: Int64 = 0

    init(handle: ArchiveHandle) { self.handle = handle }

    func canReach(index: Int, offset: Int64) -> Bool {
        headerIndex < index || (headerIndex == index && position <= offset)
    }

    func isBefore(_ other: PayloadCursor) -> Bool {
        (headerIndex, position) < (other.headerIndex, other.position)
    }

    func read(_ entry: PayloadEntry, dataIndex: Int, from offset: Int64, to end: Int64,
              format: String) throws -> [UInt8] {
        try seekHeader(dataIndex, expecting: entry.dataPath, format: format)

        // Discard up to `offset`.
        if position < offset {
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 16)
            defer { scratch.deallocate() }
            while position < offset {
                let want = Int(min(64 * 1024, offset - position))
                let n = try handle.readData(scratch, count: want)
                if n == 0 { throw FormatError.truncated(needed: Int(entry.size), available: Int(position)) }
                position += Int64(n)
                discardedSinceTaken += Int64(n)
            }
        }

        var out = [UInt8](repeating: 0, count: Int(end - offset))
        var filled = 0
        try out.withUnsafeMutableBytes { buf in
            while filled < buf.count {
                let n = try handle.readData(buf.baseAddress! + filled, count: buf.count - filled)
                if n == 0 {
                    throw FormatError.truncated(needed: Int(entry.size), available: Int(position))
                }
                filled += n
                position += Int64(n)
            }
        }
        if position == entry.size {
            // At the declared end: the entry must end here too.
            var probe: UInt8 = 0
            let n = try handle.readData(&probe, count: 1)
            if n > 0 {
                throw FormatError.limitExceeded(
                    what: "decompressed size of '\(entry.path)' in the \(format) (more than its declared size)",
                    limit: Int(entry.size))
            }
        }
        return out
    }

    private func seekHeader(_ index: Int, expecting path: String, format: String) throws {
        if headerIndex == index { return }
        while headerIndex < index {
            guard let e = try handle.nextHeader() else {
                throw FormatError.invalid(format: format,
                                          reason: "entry #\(index) ('\(path)') not found: the payload has only \(headerIndex + 1) entries")
            }
            headerIndex += 1
            position = 0
            if headerIndex == index {
                let header = PayloadHeader(entry: e, index: index)
                let found = try PayloadPath.normalize(header.rawPath, format: format, index: index)
                guard found == path else {
                    throw FormatError.invalid(
                        format: format,
                        reason: "entry #\(index) is '\(found ?? ".")', not '\(path)': the listing is not of this payload")
                }
            }
        }
    }
}
