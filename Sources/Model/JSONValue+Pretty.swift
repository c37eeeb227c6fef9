/// The layout of Foundation's `JSONSerialization` with `.prettyPrinted, .sortedKeys,
/// .withoutEscapingSlashes` (`"key" : value`, two spaces a level, empty containers on two
/// lines), so meta.json reads as it always has.
extension JSONValue {
    public func prettyPrinted() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        writePretty(into: &out, level: 0)
        return out
    }

    /// Members in Foundation's order for sorted keys: case-insensitive first, then lowercase
    /// before uppercase. Each key is lowered once, not once per comparison.
    static func sortedLikeFoundation(_ members: [(key: String, value: JSONValue)]) -> [(key: String, value: JSONValue)] {
        members.map { (lowered: $0.key.lowercased(), member: $0) }
            .sorted { $0.lowered != $1.lowered ? $0.lowered < $1.lowered : $0.member.key > $1.member.key }
            .map(\.member)
    }

    /// Appends the value as it prints nested `level` deep (its first line not indented: the
    /// caller has written what comes before it on that line).
    public func writePretty(into out: inout [UInt8], level: Int) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let text): Self.writeString(text, into: &out)
        case .array(let elements):
            writeContainer(open: "[", close: "]", count: elements.count, into: &out, level: level) { index, out in
                elements[index].writePretty(into: &out, level: level + 1)
            }
        case .object(let members):
            let sorted = Self.sortedLikeFoundation(members)
            writeContainer(open: "{", close: "}", count: sorted.count, into: &out, level: level) { index, out in
                Self.writeString(sorted[index].key, into: &out)
                out.append(contentsOf: " : ".utf8)
                sorted[index].value.writePretty(into: &out, level: level + 1)
            }
        }
    }

    private func writeContainer(open: Unicode.Scalar, close: Unicode.Scalar, count: Int, into out: inout [UInt8],
                                level: Int, element: (Int, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: open))
        out.append(0x0A)
        for index in 0..<count {
            if index > 0 { out.append(contentsOf: ",\n".utf8) }
            Self.indent(level + 1, into: &out)
            element(index, &out)
        }
        out.append(0x0A)
        Self.indent(level, into: &out)
        out.append(UInt8(ascii: close))
    }

    public static func indent(_ level: Int, into out: inout [UInt8]) {
        out.append(contentsOf: repeatElement(0x20, count: 2 * level))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: copied whole.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            out.append(contentsOf: text.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x00..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
