// The header structure shared by the RPM signature header and the main header.
//
// On disk (big-endian):
//
//     magic[8]   = 8e ad e8 01 00 00 00 00
//     il  u32    number of index entries
//     dl  u32    size of the data store in bytes
//     il × { tag u32, type u32, offset u32, count u32 }
//     store[dl]
//
// Every entry is checked the way rpm's `hdrblobInit` / `hdrblobVerifyRegion` /
// `hdrblobVerifyInfo` check it (lib/header.c), before any value is decoded:
// - `il` and `dl` within the limits of ``RPMHeaderLimits`` (rpm's `hdrchkTags`/`hdrchkData`);
// - the first entry, when it is the region tag (62 signature / 63 immutable), is a 16-byte BIN
//   whose trailer lies inside the store, names the same tag and covers exactly all entries
//   and the whole store;
// - every other entry: tag ≥ 100, a known type, count ≥ 1 and ≤ dl, offset aligned for its
//   type and inside the store, data (fixed-size items, or NUL-terminated strings) ending inside
//   the store, entries in offset order without overlap, and no tag twice.
// Decoding a value afterwards cannot go out of bounds.

/// Data types of header entries (rpm's `rpmTagType`).
public enum RPMTagType: UInt32, Sendable, Codable, CustomStringConvertible {
    case null = 0, char = 1, int8 = 2, int16 = 3, int32 = 4, int64 = 5
    case string = 6, binary = 7, stringArray = 8, i18nString = 9

    /// Size of one item for fixed-size types, nil for string types.
    var itemSize: Int? {
        switch self {
        case .null: return 0
        case .char, .int8, .binary: return 1
        case .int16: return 2
        case .int32: return 4
        case .int64: return 8
        case .string, .stringArray, .i18nString: return nil
        }
    }

    /// Required alignment of the data offset in the store.
    var alignment: Int {
        switch self {
        case .int16: return 2
        case .int32: return 4
        case .int64: return 8
        default: return 1
        }
    }

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .char: return "CHAR"
        case .int8: return "INT8"
        case .int16: return "INT16"
        case .int32: return "INT32"
        case .int64: return "INT64"
        case .string: return "STRING"
        case .binary: return "BIN"
        case .stringArray: return "STRING_ARRAY"
        case .i18nString: return "I18NSTRING"
        }
    }
}

/// One validated index entry: where a tag's data lies in the store.
public struct RPMIndexEntry: Sendable, Equatable {
    public let tag: UInt32
    public let type: RPMTagType
    /// Offset of the data in the store.
    public let offset: Int
    /// Number of items (strings for string arrays, bytes for BIN).
    public let count: Int
    /// Byte length of the data, computed and bounds-checked at parse time.
    public let length: Int
}

/// A decoded header value.
public enum RPMTagValue: Sendable, Equatable {
    case null
    case char([UInt8])
    case int8([UInt8])
    case int16([UInt16])
    case int32([UInt32])
    case int64([UInt64])
    case string(String)
    case binary([UInt8])
    case stringArray([String])
    /// One string per locale of the header's I18N table; index 0 is the "C" locale.
    case i18nString([String])
}

/// Size limits for a header, as rpm enforces them when reading a package.
public struct RPMHeaderLimits: Sendable, Equatable {
    /// Maximum number of index entries.
    public let maxEntries: Int
    /// Maximum size of the data store.
    public let maxDataBytes: Int
    /// Maximum of `8 + 16 × il + dl` (rpm's `headerMaxbytes`, exclusive).
    public let maxBlobBytes: Int

    /// rpm's limits for the main header: 65,535 tags (`HEADER_TAGS_MAX`), a store of at most
    /// 0x0fffffff bytes (`HEADER_DATA_MAX`) and a blob under 256 MiB (`headerMaxbytes`).
    public static let main = RPMHeaderLimits(maxEntries: 0xFFFF, maxDataBytes: 0x0FFF_FFFF,
                                             maxBlobBytes: 256 * 1024 * 1024)
    /// rpm's limits for the signature header (`hdrblobRead`): 32 tags, 64 KiB of data.
    public static let signature = RPMHeaderLimits(maxEntries: 32, maxDataBytes: 64 * 1024,
                                                  maxBlobBytes: 256 * 1024 * 1024)
}

/// A parsed, validated header: the index entries and the data store they point into.
public struct RPMHeader: Sendable {
    /// Which header of the package this is; names the header in error messages.
    public enum Kind: String, Sendable {
        case signature = "signature header"
        case main = "header"

        var regionTag: UInt32 { self == .signature ? 62 : 63 }
        var limits: RPMHeaderLimits { self == .signature ? .signature : .main }
    }

    /// The 8 bytes a header starts with.
    public static let magic: [UInt8] = [0x8E, 0xAD, 0xE8, 0x01, 0x00, 0x00, 0x00, 0x00]

    public let kind: Kind
    /// Offset of the header's magic in the file.
    public let offset: Int
    /// Bytes from the magic to the end of the store: `16 + 16 × il + dl`.
    public let byteCount: Int
    /// Validated entries in file order, the region tag (if any) included.
    public let entries: [RPMIndexEntry]
    /// The region tag, when the first entry is a region (62 or 63).
    public let regionTag: UInt32?
    private let store: [UInt8]
    private let byTag: [UInt32: Int]

    /// Offset just past the store.
    public var endOffset: Int { offset + byteCount }

    /// Reads and validates the header whose magic is at `offset`.
    public init(reader: any ByteReader, at offset: Int, kind: Kind) throws {
        let limits = kind.limits
        let what = kind.rawValue
        guard offset >= 0, offset <= reader.count else {
            throw FormatError.truncated(needed: offset, available: reader.count)
        }
        if reader.count - offset < 16 {
            let avail = try reader.read(at: offset, length: min(8, reader.count - offset))
            guard avail == Array(RPMHeader.magic.prefix(avail.count)) else {
                throw FormatError.badMagic(format: "RPM \(what)", found: Hex.string(avail))
            }
            throw FormatError.truncated(needed: offset + 16, available: reader.count)
        }
        let intro = try reader.read(at: offset, length: 16)
        guard Array(intro[0..<8]) == RPMHeader.magic else {
            throw FormatError.badMagic(format: "RPM \(what)", found: Hex.string(Array(intro[0..<8])))
        }
        let il = Int(rpmBE32(intro, 8))
        let dl = Int(rpmBE32(intro, 12))
        guard il <= limits.maxEntries else {
            throw FormatError.limitExceeded(what: "RPM \(what) index entry count \(il)", limit: limits.maxEntries)
        }
        guard dl <= limits.maxDataBytes else {
            throw FormatError.limitExceeded(what: "RPM \(what) data size \(dl) bytes", limit: limits.maxDataBytes)
        }
        guard il >= 1 else {
            throw FormatError.invalid(format: "RPM", reason: "\(what): no index entries")
        }
        let bodyCount = il * 16 + dl  // cannot overflow: both bounded above
        guard 8 + bodyCount < limits.maxBlobBytes else {
            throw FormatError.limitExceeded(what: "RPM \(what) size \(8 + bodyCount) bytes", limit: limits.maxBlobBytes - 1)
        }
        // `read` checks the length against the input before allocating.
        let body = try reader.read(at: offset + 16, length: bodyCount)
        let index = Array(body[0..<(il * 16)])
        let store = Array(body[(il * 16)...])

        self.kind = kind
        self.offset = offset
        self.byteCount = 16 + bodyCount
        self.store = store
        (self.entries, self.regionTag, self.byTag) = try RPMHeader.validate(index: index, il: il, store: store, kind: kind)
    }

    // MARK: Validation

    private static func rawEntry(_ index: [UInt8], _ i: Int) -> (tag: UInt32, type: UInt32, offset: Int32, count: UInt32) {
        let p = i * 16
        return (rpmBE32(index, p), rpmBE32(index, p + 4), Int32(bitPattern: rpmBE32(index, p + 8)), rpmBE32(index, p + 12))
    }

    private static func validate(index: [UInt8], il: Int, store: [UInt8], kind: Kind)
        throws -> ([RPMIndexEntry], UInt32?, [UInt32: Int]) {
        let dl = store.count
        let what = kind.rawValue
        func bad(_ reason: String) -> FormatError { .invalid(format: "RPM", reason: "\(what): \(reason)") }

        var entries: [RPMIndexEntry] = []
        entries.reserveCapacity(il)
        var byTag: [UInt32: Int] = [:]
        byTag.reserveCapacity(il)

        // Region (rpm's hdrblobVerifyRegion with exact_size = 1, as for package files).
        var regionTag: UInt32?
        var dataLimit = dl
        let first = rawEntry(index, 0)
        if first.tag == kind.regionTag {
            guard first.type == RPMTagType.binary.rawValue, first.count == 16 else {
                throw bad("region tag \(first.tag) has type \(first.type) count \(first.count), expected BIN count 16")
            }
            let trailerOffset = Int(first.offset)
            guard trailerOffset >= 0, trailerOffset + 16 <= dl else {
                throw bad("region trailer offset \(first.offset) outside the \(dl)-byte data store")
            }
            var tTag = rpmBE32(store, trailerOffset)
            let tType = rpmBE32(store, trailerOffset + 4)
            let tOffset = -Int64(Int32(bitPattern: rpmBE32(store, trailerOffset + 8)))
            let tCount = rpmBE32(store, trailerOffset + 12)
            if kind == .signature && tTag == 61 { tTag = 62 }  // old packages: HEADERIMAGE in the trailer
            guard tTag == first.tag, tType == RPMTagType.binary.rawValue, tCount == 16 else {
                throw bad("region trailer is tag \(tTag) type \(tType) count \(tCount), expected tag \(first.tag) BIN count 16")
            }
            let rdl = trailerOffset + 16
            guard tOffset > 0, tOffset % 16 == 0, tOffset / 16 == Int64(il), rdl == dl else {
                throw bad("region covers \(tOffset / 16) entries and \(rdl) bytes, header has \(il) entries and \(dl) bytes")
            }
            regionTag = first.tag
            dataLimit = trailerOffset
            entries.append(RPMIndexEntry(tag: first.tag, type: .binary, offset: trailerOffset, count: 16, length: 16))
            byTag[first.tag] = 0
        }

        // Remaining entries (rpm's hdrblobVerifyInfo).
        var previousEnd = 0
        for i in entries.count..<il {
            let e = rawEntry(index, i)
            // Built only for an error: a string per entry took a third of a small RPM's parse.
            var label: String { "entry \(i) (tag \(e.tag)\(RPMTag.name(of: e.tag, in: kind).map { " " + $0 } ?? ""))" }
            guard e.tag >= 100 else {
                throw bad("\(label): tag number below 100 is reserved")
            }
            guard let type = RPMTagType(rawValue: e.type), type != .null else {
                throw bad("\(label): unknown data type \(e.type)")
            }
            let offset = Int(e.offset)
            guard offset >= 0, offset <= dataLimit else {
                throw bad("\(label): data offset \(e.offset) outside the \(dataLimit)-byte data store")
            }
            guard offset % type.alignment == 0 else {
                throw bad("\(label): data offset \(offset) not aligned for \(type)")
            }
            let count = Int(e.count)
            guard count >= 1, count <= dl else {
                throw bad("\(label): item count \(count) out of range 1...\(dl)")
            }
            guard offset >= previousEnd else {
                throw bad("\(label): data at offset \(offset) overlaps the previous entry's data (ends at \(previousEnd))")
            }
            let length: Int
            if let size = type.itemSize {
                length = size * count
                guard length <= dataLimit - offset else {
                    throw bad("\(label): \(count) × \(size) bytes at offset \(offset) run past the \(dataLimit)-byte data store")
                }
            } else {
                if type == .string && count != 1 {
                    throw bad("\(label): STRING with count \(count), expected 1")
                }
                guard let n = stringsLength(store, from: offset, count: count, limit: dataLimit) else {
                    throw bad("\(label): \(count) NUL-terminated string(s) at offset \(offset) run past the \(dataLimit)-byte data store")
                }
                length = n
            }
            guard byTag[e.tag] == nil else {
                throw bad("\(label): tag appears more than once")
            }
            previousEnd = offset + length
            byTag[e.tag] = entries.count
            entries.append(RPMIndexEntry(tag: e.tag, type: type, offset: offset, count: count, length: length))
        }
        return (entries, regionTag, byTag)
    }

    /// Byte length of `count` NUL-terminated strings starting at `from`, all ending before `limit`.
    private static func stringsLength(_ store: [UInt8], from: Int, count: Int, limit: Int) -> Int? {
        var p = from
        var remaining = count
        while remaining > 0 {
            guard p < limit else { return nil }
            guard let nul = store[p..<limit].firstIndex(of: 0) else { return nil }
            p = nul + 1
            remaining -= 1
        }
        return p - from
    }

    // MARK: Access

    /// The entry for `tag`, if present.
    public func entry(_ tag: UInt32) -> RPMIndexEntry? {
        byTag[tag].map { entries[$0] }
    }

    /// True when `tag` is present.
    public func contains(_ tag: UInt32) -> Bool { byTag[tag] != nil }

    /// The raw data bytes of `tag`.
    public func rawData(_ tag: UInt32) -> [UInt8]? {
        guard let e = entry(tag) else { return nil }
        return Array(store[e.offset..<(e.offset + e.length)])
    }

    /// The decoded value of `tag`.
    public func value(_ tag: UInt32) -> RPMTagValue? {
        guard let e = entry(tag) else { return nil }
        let o = e.offset
        switch e.type {
        case .null: return .null
        case .char: return .char(Array(store[o..<(o + e.count)]))
        case .int8: return .int8(Array(store[o..<(o + e.count)]))
        case .binary: return .binary(Array(store[o..<(o + e.count)]))
        case .int16: return .int16((0..<e.count).map { rpmBE16(store, o + 2 * $0) })
        case .int32: return .int32((0..<e.count).map { rpmBE32(store, o + 4 * $0) })
        case .int64: return .int64((0..<e.count).map { rpmBE64(store, o + 8 * $0) })
        case .string: return .string(strings(e).first ?? "")
        case .stringArray: return .stringArray(strings(e))
        case .i18nString: return .i18nString(strings(e))
        }
    }

    private func strings(_ e: RPMIndexEntry) -> [String] {
        let data = store[e.offset..<(e.offset + e.length)]
        var out: [String] = []
        out.reserveCapacity(e.count)
        var start = data.startIndex
        for i in data.indices where data[i] == 0 {
            out.append(String(decoding: data[start..<i], as: UTF8.self))
            start = i + 1
        }
        return out
    }

    // MARK: Typed accessors (throw when the tag has an unexpected type)

    private func wrongType(_ tag: UInt32, _ e: RPMIndexEntry, _ expected: String) -> FormatError {
        let name = RPMTag.name(of: tag, in: kind).map { " " + $0 } ?? ""
        return .invalid(format: "RPM", reason: "\(kind.rawValue): tag \(tag)\(name) has type \(e.type), expected \(expected)")
    }

    /// A string tag: STRING, or the "C" locale of an I18NSTRING, or a one-element STRING_ARRAY.
    public func string(_ tag: UInt32) throws -> String? {
        guard let e = entry(tag) else { return nil }
        switch value(tag) {
        case .string(let s)?: return s
        case .i18nString(let a)?: return a.first
        case .stringArray(let a)? where a.count == 1: return a[0]
        default: throw wrongType(tag, e, "STRING")
        }
    }

    /// A string-array tag (a STRING is returned as one element).
    public func strings(_ tag: UInt32) throws -> [String]? {
        guard let e = entry(tag) else { return nil }
        switch value(tag) {
        case .stringArray(let a)?, .i18nString(let a)?: return a
        case .string(let s)?: return [s]
        default: throw wrongType(tag, e, "STRING_ARRAY")
        }
    }

    /// An integer-array tag of any integer width, as unsigned values widened to Int
    /// (rpm prints header integers unsigned).
    public func integers(_ tag: UInt32) throws -> [Int]? {
        guard let e = entry(tag) else { return nil }
        switch value(tag) {
        case .int8(let a)?, .char(let a)?: return a.map { Int($0) }
        case .int16(let a)?: return a.map { Int($0) }
        case .int32(let a)?: return a.map { Int($0) }
        case .int64(let a)?:
            // Int64 values above Int.max cannot be sizes or times; clamp instead of trapping.
            return a.map { $0 > UInt64(Int.max) ? Int.max : Int($0) }
        default: throw wrongType(tag, e, "an integer type")
        }
    }

    /// The first item of an integer tag.
    public func integer(_ tag: UInt32) throws -> Int? {
        try integers(tag)?.first
    }

    /// A BIN tag's bytes.
    public func binary(_ tag: UInt32) throws -> [UInt8]? {
        guard let e = entry(tag) else { return nil }
        switch value(tag) {
        case .binary(let b)?: return b
        default: throw wrongType(tag, e, "BIN")
        }
    }
}

// MARK: Byte helpers (callers guarantee bounds)

@inline(__always) func rpmBE16(_ b: [UInt8], _ i: Int) -> UInt16 {
    UInt16(b[i]) << 8 | UInt16(b[i + 1])
}

@inline(__always) func rpmBE32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
}

@inline(__always) func rpmBE64(_ b: [UInt8], _ i: Int) -> UInt64 {
    UInt64(rpmBE32(b, i)) << 32 | UInt64(rpmBE32(b, i + 4))
}

