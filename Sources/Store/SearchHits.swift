import Foundation
import GRDBSQLite

/// The hits of one search, newest first, each as search/<keyword>/ shows it (`SearchHit`).
///
/// Held by column, not as a `SearchHit` each: a hit's id, time and name, and the index of its
/// parent directory (type/OS/arch/version) in a table of the distinct ones. A SearchHit is made
/// when one is read. Keyword `e` on a million packages held 860 MB at its peak as SearchHits,
/// and a search that big is one the memo must be able to keep (`SearchMemo`).
public struct SearchHits: Sendable, RandomAccessCollection {
    /// By row, in the order they were read.
    private var ids: [Int64] = []
    private var times: [Double] = []
    private var parents: [UInt32] = []
    private var names = PackedNames()
    private var parentTable: [ParentDirectory] = []
    /// Rows, newest first.
    private var order: [UInt32] = []

    struct ParentDirectory: Sendable {
        let type: String
        let os: String
        let arch: String
        let version: String
    }

    /// The rows of `parts` (read by different threads), newest first.
    init(joining parts: [SearchHitsBuilder]) {
        var merged: [ParentKey: UInt32] = [:]
        for part in parts {
            // Each part numbered its parent directories itself.
            let renumbered = part.parentKeys.indices.map { local -> UInt32 in
                let key = part.parentKeys[local]
                if let known = merged[key] { return known }
                let number = UInt32(parentTable.count)
                parentTable.append(part.parentTable[local])
                merged[key] = number
                return number
            }
            ids += part.ids
            times += part.times
            parents += part.parents.lazy.map { renumbered[Int($0)] }
        }
        names = PackedNames(joining: parts.map(\.names))
        order = (0..<UInt32(ids.count)).sorted { (times[Int($0)], ids[Int($0)]) > (times[Int($1)], ids[Int($1)]) }
        // A package read twice (moved from one term to another between two slices' snapshots)
        // has the same time and id both times: next to itself.
        var previous: Int64?
        order.removeAll { row in
            defer { previous = ids[Int(row)] }
            return ids[Int(row)] == previous
        }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { order.count }

    public subscript(position: Int) -> SearchHit {
        let row = Int(order[position])
        let parent = parentTable[Int(parents[row])]
        return SearchHit(id: ids[row], createdAt: times[row],
                         location: PackageLocation(type: parent.type, os: parent.os, arch: parent.arch,
                                                   version: parent.version, name: names[row]))
    }

    public func id(at position: Int) -> Int64 { ids[Int(order[position])] }

    /// The package directory's name, which search/<keyword>/ lists.
    public func name(at position: Int) -> String { names[Int(order[position])] }

    /// Oldest first.
    public mutating func reverse() { order.reverse() }

    /// Where each name is first listed, for `position(ofName:in:)`.
    public func nameTable() -> PositionTable {
        PositionTable(count: count, hash: { names.hash(at: Int(order[$0])) },
                      equal: { names.equal(at: Int(order[$0]), at: Int(order[$1])) })
    }

    public func position(ofName name: String, in table: PositionTable) -> Int? {
        var name = name
        return name.withUTF8 { bytes in
            table.find(hash: PackedNames.hash(UnsafeRawBufferPointer(bytes))) {
                names.equal(at: Int(order[$0]), to: UnsafeRawBufferPointer(bytes))
            }
        }
    }

    /// Where each id is listed, for `position(ofID:in:)`.
    public func idTable() -> PositionTable {
        PositionTable(count: count, hash: { id(at: $0).hashValue }, equal: { id(at: $0) == id(at: $1) })
    }

    public func position(ofID id: Int64, in table: PositionTable) -> Int? {
        table.find(hash: id.hashValue) { self.id(at: $0) == id }
    }
}

/// A parent directory's key: hashed as one run of bytes (an array of bytes hashes byte by byte,
/// which was most of the time a search spent on each row).
struct ParentKey: Hashable, Sendable {
    var bytes: [UInt8] = []

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

/// One thread's share of a search: the rows it read, with its own numbering of their parent
/// directories (`SearchHits(joining:)` renumbers them).
struct SearchHitsBuilder: Sendable {
    fileprivate var ids: [Int64] = []
    fileprivate var times: [Double] = []
    fileprivate var parents: [UInt32] = []
    fileprivate var names = PackedNames()
    fileprivate var parentTable: [SearchHits.ParentDirectory] = []
    /// The four columns' bytes, each followed by a 0 byte: the key of a parent directory.
    fileprivate var parentKeys: [ParentKey] = []
    private var parentNumbers: [ParentKey: UInt32] = [:]
    /// Reused for each row's key, so a directory seen before costs no allocation.
    private var key = ParentKey()

    var idsRead: [Int64] { ids }
    var count: Int { ids.count }

    /// Appends the row `statement` is on: id, createdAt, dirType, dirOS, dirArch, dirVersion,
    /// dirName, in that order.
    mutating func appendRow(of statement: OpaquePointer) {
        ids.append(sqlite3_column_int64(statement, 0))
        times.append(sqlite3_column_double(statement, 1))
        key.bytes.removeAll(keepingCapacity: true)
        for column in Int32(2)...5 {
            key.bytes.append(contentsOf: Self.text(statement, column))
            key.bytes.append(0)
        }
        // Rows of one directory often come one after another: the last row's parent is tried first.
        if let lastParent = parents.last, key == parentKeys[Int(lastParent)] {
            parents.append(lastParent)
        } else if let known = parentNumbers[key] {
            parents.append(known)
        } else {
            let number = UInt32(parentTable.count)
            let texts = (Int32(2)...5).map { String(decoding: Self.text(statement, $0), as: UTF8.self) }
            parentTable.append(.init(type: texts[0], os: texts[1], arch: texts[2], version: texts[3]))
            parentKeys.append(key)
            parentNumbers[key] = number
            parents.append(number)
        }
        names.append(utf8: UnsafeRawBufferPointer(Self.text(statement, 6)))
    }

    private static func text(_ statement: OpaquePointer, _ column: Int32) -> UnsafeBufferPointer<UInt8> {
        guard let bytes = sqlite3_column_text(statement, column) else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column)))
    }
}
