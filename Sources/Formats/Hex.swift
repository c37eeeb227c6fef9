/// Lowercase hex, as digests are written in meta.json, xattrs and paths.
public enum Hex {
    public static func string<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let table = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(table[Int(byte >> 4)])
            out.append(table[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` is exactly `count` lowercase hex digits (a digest as `string` writes it).
    public static func isLowercase<S: StringProtocol>(_ text: S, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
