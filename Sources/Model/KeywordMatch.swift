import Foundation

/// The OCP keyword rule (search/<keyword>, the query API): a package matches when its name,
/// type, version, OS or architecture contains the keyword, in either case.
public enum KeywordMatch {
    /// Whether `value` contains `keyword`. An ASCII keyword folds ASCII letters only, as SQL's
    /// LIKE does (its bytes never occur inside another character's UTF-8, so a byte search is
    /// exact); any other keyword is compared with Unicode's case folding.
    public static func contains(_ value: String, _ keyword: String) -> Bool {
        contains(value, folded: value.utf8.map(foldASCII), keyword)
    }

    /// `contains` for a value whose ASCII-folded bytes are at hand.
    private static func contains(_ value: String, folded: [UInt8], _ keyword: String) -> Bool {
        if keyword.isEmpty { return true }
        guard isASCII(keyword) else { return value.range(of: keyword, options: .caseInsensitive) != nil }
        return containsFolded(folded, keyword)
    }

    /// The package's searched values, folded once, to match against many keywords.
    public struct Values: Sendable {
        let values: [String]
        let folded: [[UInt8]]

        public init(_ package: Package) {
            values = [package.name, package.type, package.version, package.operatingSystem, package.architecture]
            folded = values.map { $0.utf8.map(foldASCII) }
        }

        /// Whether search/<keyword> lists the package.
        public func match(_ keyword: String) -> Bool {
            zip(values, folded).contains { KeywordMatch.contains($0, folded: $1, keyword) }
        }

        /// `foldedHash` of every ASCII keyword this package matches: each run of ASCII bytes'
        /// substrings in each value (about 1,300 for a 40-character name).
        public var substringHashes: Set<UInt64> {
            var hashes = Set<UInt64>()
            for value in folded {
                for start in value.indices where value[start] < 0x80 {
                    var hash = fnvOffset
                    for byte in value[start...] {
                        guard byte < 0x80 else { break }
                        hash = fnv(hash, byte)
                        hashes.insert(hash)
                    }
                }
            }
            return hashes
        }
    }

    /// A hash of an ASCII keyword as matching folds it (nil for any other keyword): equal for
    /// every keyword that matches the same values. `Values.substringHashes` holds the hash of
    /// each keyword an ASCII keyword could be to match, so the searches a change touches are
    /// found by these hashes instead of by trying each keyword (two keywords may share a hash:
    /// then both are taken, which only costs an invalidation).
    public static func foldedHash(ofASCIIKeyword keyword: String) -> UInt64? {
        guard isASCII(keyword) else { return nil }
        return keyword.utf8.reduce(fnvOffset) { fnv($0, foldASCII($1)) }
    }

    private static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325

    private static func fnv(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        (hash ^ UInt64(byte)) &* 0x100_0000_01b3
    }

    private static func isASCII(_ text: String) -> Bool { text.utf8.allSatisfy { $0 < 0x80 } }

    private static func foldASCII(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }

    /// Whether `haystack` (folded) holds the ASCII `keyword`, folded as it is compared.
    private static func containsFolded(_ haystack: [UInt8], _ keyword: String) -> Bool {
        let needle = keyword.utf8
        guard needle.count <= haystack.count, let first = needle.first.map(foldASCII) else { return needle.isEmpty }
        for start in 0...(haystack.count - needle.count) where haystack[start] == first {
            var offset = start
            if needle.allSatisfy({ byte in defer { offset += 1 }; return haystack[offset] == foldASCII(byte) }) {
                return true
            }
        }
        return false
    }
}
