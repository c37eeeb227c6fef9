/// A Debian version split as dpkg does: `[epoch:]upstream[-revision]`, the epoch before
/// the first `:`, the revision after the last `-`.
public struct DebVersion: Sendable, Codable, Equatable, Hashable, CustomStringConvertible {
    /// nil when the version has no explicit epoch (dpkg treats that as 0).
    public var epoch: Int?
    public var upstream: String
    /// nil when the version has no `-`.
    public var revision: String?

    public init(epoch: Int?, upstream: String, revision: String?) {
        self.epoch = epoch
        self.upstream = upstream
        self.revision = revision
    }

    /// Parses a version with the hard checks of dpkg's `parseversion`: not empty, no
    /// whitespace, an epoch that is a decimal number, non-empty upstream and revision
    /// parts. What dpkg only warns about (upstream not starting with a digit, characters
    /// outside `A-Za-z0-9.+~-:`) is accepted, as dpkg accepts it.
    public init(parsing text: String) throws {
        let fail = { (why: String) in FormatError.invalid(format: "deb version", reason: "'\(text)': \(why)") }
        var rest = Substring(text)
        if rest.isEmpty { throw fail("empty version") }
        if rest.contains(where: { $0.isWhitespace }) { throw fail("contains whitespace") }
        if let colon = rest.firstIndex(of: ":") {
            epoch = try Self.epoch(rest[..<colon], fail)
            rest = rest[rest.index(after: colon)...]
        } else {
            epoch = nil
        }
        if let dash = rest.lastIndex(of: "-") {
            let r = rest[rest.index(after: dash)...]
            if r.isEmpty { throw fail("empty revision") }
            revision = String(r)
            rest = rest[..<dash]
        } else {
            revision = nil
        }
        if rest.isEmpty { throw fail("empty upstream version") }
        upstream = String(rest)
    }

    /// The epoch as dpkg reads it (`strtol`, base 10): a sign, then digits, 0 through INT_MAX.
    private static func epoch(_ text: Substring, _ fail: (String) -> FormatError) throws -> Int {
        var digits = text
        let negative = digits.first == "-"
        if digits.first == "+" || negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw fail(text.isEmpty ? "empty epoch" : "epoch '\(text)' is not a number")
        }
        let significant = digits.drop { $0 == "0" }
        guard significant.count <= 10, let value = Int(significant.isEmpty ? "0" : significant), value <= Int(Int32.max) else {
            throw fail("epoch '\(text)' is too big (at most \(Int32.max))")
        }
        if negative && value != 0 { throw fail("epoch '\(text)' is negative") }
        return value
    }

    public var description: String {
        (epoch.map { "\($0):" } ?? "") + upstream + (revision.map { "-\($0)" } ?? "")
    }
}
