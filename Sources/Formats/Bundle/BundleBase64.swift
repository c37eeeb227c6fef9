/// Strict base64 (RFC 4648 §4, standard alphabet, `=` padding required), as
/// `fileContents` must be. ASCII whitespace (line breaks of MIME-wrapped output, e.g.
/// `base64` wraps at 76 columns) is skipped; any other character outside the alphabet,
/// misplaced padding, or a length that is not a multiple of 4 is an error.
public enum BundleBase64 {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func decode(_ text: String) throws(Failure) -> [UInt8] {
        var quad: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        var filled = 0          // characters in the current group
        var padInGroup = 0      // '=' in the current group
        var finished = false    // a padded group ended the data
        var significant = 0
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count / 4 * 3)
        for (offset, c) in text.utf8.enumerated() {
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { continue }
            if finished {
                throw Failure(description: "data continues after '=' padding, at offset \(offset)")
            }
            let value: UInt8
            switch c {
            case 0x41...0x5A: value = c - 0x41        // A-Z
            case 0x61...0x7A: value = c - 0x61 + 26   // a-z
            case 0x30...0x39: value = c - 0x30 + 52   // 0-9
            case 0x2B: value = 62                     // +
            case 0x2F: value = 63                     // /
            case 0x3D:                                // =
                guard filled >= 2 else {
                    throw Failure(description: "'=' at offset \(offset) is not in the last two places of a 4-character group")
                }
                padInGroup += 1
                value = 0
            default:
                throw Failure(description: "character \(describe(c)) at offset \(offset) is not in the base64 alphabet")
            }
            if padInGroup > 0 && c != 0x3D {
                throw Failure(description: "character \(describe(c)) at offset \(offset) follows '=' padding")
            }
            significant += 1
            switch filled {
            case 0: quad.0 = value
            case 1: quad.1 = value
            case 2: quad.2 = value
            default: quad.3 = value
            }
            filled += 1
            if filled == 4 {
                out.append(quad.0 << 2 | quad.1 >> 4)
                if padInGroup < 2 { out.append(quad.1 << 4 | quad.2 >> 2) }
                if padInGroup < 1 { out.append(quad.2 << 6 | quad.3) }
                finished = padInGroup > 0
                filled = 0
                padInGroup = 0
            }
        }
        if filled != 0 {
            throw Failure(description: "its \(significant) base64 characters are not a multiple of 4 (missing '=' padding?)")
        }
        return out
    }

    private static func describe(_ c: UInt8) -> String {
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x" + String(c, radix: 16, uppercase: true)
    }
}
