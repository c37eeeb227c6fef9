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
            let e = rest[..<colon]
            guard !e.isEmpty, e.allSatisfy({ $0.isASCII && $0.isNumber }), e.count <= 9, let n = Int(e) else {
                throw fail("epoch '\(e)' is not a number")
            }
            epoch = n
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

    public var description: String {
        (epoch.map { "\($0):" } ?? "") + upstream + (revision.map { "-\($0)" } ?? "")
    }
}
