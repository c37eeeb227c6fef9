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

    /// The positions of `members` in Foundation's order for sorted keys: case-insensitive first,
    /// then lowercase before uppercase. Positions, not members, are sorted: moving the members
    /// themselves (strings and values, each retained and released) was a third of rendering a
    /// meta.json.
    static func orderLikeFoundation(_ members: [(key: String, value: JSONValue)]) -> [Int] {
        var order = Array(members.indices)
        order.sort { precedesLikeFoundation(members[$0].key, members[$1].key) }
        return order
    }

    /// Whether key `a` sorts before `b`: ASCII keys are compared byte by byte with their letters
    /// lowered (no lowered copies), any other pair by `lowercased()`.
    static func precedesLikeFoundation(_ a: String, _ b: String) -> Bool {
        let ascii = a.utf8.withContiguousStorageIfAvailable { left in
            b.utf8.withContiguousStorageIfAvailable { right in precedesASCII(left, right) } ?? nil
        } ?? nil
        if let ascii { return ascii }
        let (lowerA, lowerB) = (a.lowercased(), b.lowercased())
        return lowerA != lowerB ? lowerA < lowerB : a > b
    }

    /// nil when either holds a byte beyond ASCII.
    private static func precedesASCII(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool? {
        for index in 0..<min(a.count, b.count) {
            let (x, y) = (a[index], b[index])
            if x >= 0x80 || y >= 0x80 { return nil }
            let (lowerX, lowerY) = (asciiLowered(x), asciiLowered(y))
            if lowerX != lowerY { return lowerX < lowerY }
        }
        if a.count != b.count {
            let longer = a.count > b.count ? a : b
            if longer[min(a.count, b.count)...].contains(where: { $0 >= 0x80 }) { return nil }
            return a.count < b.count
        }
        // Equal but for case: lowercase (the greater bytes) first.
        return !a.elementsEqual(b) && !a.lexicographicallyPrecedes(b)
    }

    private static func asciiLowered(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 0x20 : byte
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
            let order = Self.orderLikeFoundation(members)
            writeContainer(open: "{", close: "}", count: order.count, into: &out, level: level) { index, out in
                let member = members[order[index]]
                Self.writeString(member.key, into: &out)
                out.append(contentsOf: " : ".utf8)
                member.value.writePretty(into: &out, level: level + 1)
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
        for _ in 0..<(2 * level) { out.append(0x20) }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: copied whole, from their contiguous bytes where they have them.
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard bytes.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true {
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
