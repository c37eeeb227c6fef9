/// One member of a Unix `ar` archive (the container of a `.deb`).
public struct ArMember: Sendable, Equatable, Codable {
    /// The member name, without the padding spaces and GNU's trailing `/`.
    public var name: String
    /// Offset of the member's data in the archive file.
    public var offset: Int
    public var size: Int
    public var mtime: Int64
    public var uid: Int
    public var gid: Int
    public var mode: UInt32
}

/// A pure-Swift reader of the common `ar` format: the `!<arch>\n` magic, then for each
/// member a 60-byte header (name[16] mtime[12] uid[6] gid[6] mode[8] size[10] "`\n")
/// followed by the data, padded to an even offset with `\n`.
///
/// Nothing in a header is trusted: every number must be plain ASCII digits and every size
/// must fit in the bytes that remain, or the result is a precise `FormatError`. GNU long
/// names (`/N` into the `//` table) and BSD long names (`#1/N`, the name stored at the start
/// of the data) are resolved when well formed and otherwise kept literally; the GNU symbol
/// table (`/`) and name table (`//`) are listed like other members.
public enum ArArchive {
    public static let magic: [UInt8] = Array("!<arch>\n".utf8)
    static let headerSize = 60

    public static func members(of reader: some ByteReader) throws -> [ArMember] {
        guard reader.count >= magic.count else {
            throw FormatError.truncated(needed: magic.count, available: reader.count)
        }
        let head = try reader.read(at: 0, length: magic.count)
        guard head == magic else {
            throw FormatError.badMagic(format: "ar archive", found: printable(head))
        }
        var members: [ArMember] = []
        var longNames: [UInt8]?
        var at = magic.count
        while at < reader.count {
            // A lone padding byte at the very end is tolerated.
            if reader.count - at == 1, try reader.read(at: at, length: 1) == [0x0A] { break }
            let header = try reader.read(at: at, length: headerSize)
            guard header[58] == 0x60, header[59] == 0x0A else {
                throw FormatError.invalid(format: "ar archive",
                                          reason: "member header at offset \(at) does not end with \"`\\n\"")
            }
            let size = try number(header[48..<58], field: "size", at: at, radix: 10)
            var dataStart = at + headerSize
            var dataSize = size
            guard size <= reader.count - dataStart else {
                throw FormatError.truncated(needed: dataStart + size, available: reader.count)
            }
            var name = field(header[0..<16])
            if name.hasPrefix("#1/"), let n = Int(name.dropFirst(3)), n >= 0, n <= size {
                let raw = try reader.read(at: dataStart, length: n)
                name = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                dataStart += n
                dataSize -= n
            } else if name == "//" {
                longNames = try reader.read(at: dataStart, length: size)
            } else if name.count > 1, name.hasPrefix("/"), let n = Int(name.dropFirst()),
                      let table = longNames, n >= 0, n < table.count {
                let rest = table[n...]
                let endIdx = rest.firstIndex(where: { $0 == 0x0A || $0 == 0x2F }) ?? rest.endIndex
                name = String(decoding: table[n..<endIdx], as: UTF8.self)
            } else if name != "/" && name.hasSuffix("/") {
                name.removeLast()
            }
            members.append(ArMember(
                name: name, offset: dataStart, size: dataSize,
                mtime: Int64(try number(header[16..<28], field: "mtime", at: at, radix: 10)),
                uid: try number(header[28..<34], field: "uid", at: at, radix: 10),
                gid: try number(header[34..<40], field: "gid", at: at, radix: 10),
                mode: UInt32(truncatingIfNeeded: try number(header[40..<48], field: "mode", at: at, radix: 8))))
            at = at + headerSize + size
            if size % 2 == 1 { at += 1 }
        }
        return members
    }

    private static func field(_ bytes: ArraySlice<UInt8>) -> String {
        var s = String(decoding: bytes, as: UTF8.self)
        while s.last == " " { s.removeLast() }
        return s
    }

    /// A space-padded number; blank means 0 (some writers leave uid/gid empty).
    private static func number(_ bytes: ArraySlice<UInt8>, field name: String, at: Int, radix: Int) throws -> Int {
        let text = field(bytes)
        if text.isEmpty { return 0 }
        let digitsOK = text.utf8.allSatisfy { $0 >= 0x30 && $0 < 0x30 + UInt8(radix) }
        guard digitsOK, text.utf8.count <= 18, let value = Int(text, radix: radix) else {
            throw FormatError.invalid(format: "ar archive",
                                      reason: "member header at offset \(at) has a bad \(name) field '\(printable(Array(bytes)))'")
        }
        return value
    }

    static func printable(_ bytes: [UInt8]) -> String {
        bytes.map { b in
            (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
        }.joined()
    }
}
