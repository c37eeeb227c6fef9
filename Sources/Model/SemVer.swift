/// A Semantic Versioning 2.0.0 version, parsed strictly (the semver.org grammar/regex).
///
/// The numeric parts are kept as decimal digit strings without leading zeros, so versions
/// of any size parse and compare exactly (nothing is converted to an integer).
///
/// Ordering is SemVer precedence (semver.org §11): major, minor, patch numerically; a
/// version with a pre-release is lower than the same version without; pre-release
/// identifiers compare left to right, numeric ones numerically, alphanumeric ones in ASCII
/// order, numeric lower than alphanumeric, and a shorter list is lower when all its
/// identifiers equal the other's. Build metadata is ignored by precedence, and therefore
/// by `==` as well (`1.0.0+a == 1.0.0+b`; `description` keeps the build).
public struct SemVer: Sendable, Equatable, Comparable, CustomStringConvertible {
    /// Decimal digits, no leading zeros ("0" for zero).
    public let major: String
    public let minor: String
    public let patch: String
    /// Dot-separated pre-release identifiers (empty: a release).
    public let prerelease: [String]
    /// Dot-separated build-metadata identifiers (empty: none).
    public let build: [String]

    /// Parses a strict SemVer 2.0.0 string, e.g. `1.0.0-alpha.1+build.5`.
    /// No leading `v`, no missing parts, no leading zeros in numbers, no whitespace.
    public init?(_ s: String) {
        guard let v = SemVer.parse(Array(s.utf8), lenient: false) else { return nil }
        self = v
    }

    init(major: String, minor: String, patch: String, prerelease: [String], build: [String]) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    public var description: String {
        var s = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { s += "-" + prerelease.joined(separator: ".") }
        if !build.isEmpty { s += "+" + build.joined(separator: ".") }
        return s
    }

    /// Precedence: -1, 0, 1. Build metadata is ignored.
    public func comparePrecedence(to other: SemVer) -> Int {
        var rc = SemVer.compareNumbers(major, other.major)
        if rc != 0 { return rc }
        rc = SemVer.compareNumbers(minor, other.minor)
        if rc != 0 { return rc }
        rc = SemVer.compareNumbers(patch, other.patch)
        if rc != 0 { return rc }
        switch (prerelease.isEmpty, other.prerelease.isEmpty) {
        case (true, true): return 0
        case (true, false): return 1
        case (false, true): return -1
        case (false, false): break
        }
        for (x, y) in zip(prerelease, other.prerelease) {
            let xNum = x.utf8.allSatisfy(VersionOrder.isDigit)
            let yNum = y.utf8.allSatisfy(VersionOrder.isDigit)
            switch (xNum, yNum) {
            case (true, true): rc = SemVer.compareNumbers(x, y)
            case (true, false): rc = -1
            case (false, true): rc = 1
            case (false, false): rc = VersionOrder.compareBytes(Array(x.utf8)[...], Array(y.utf8)[...])
            }
            if rc != 0 { return rc }
        }
        let (n, m) = (prerelease.count, other.prerelease.count)
        return n == m ? 0 : (n < m ? -1 : 1)
    }

    private static func compareNumbers(_ a: String, _ b: String) -> Int {
        VersionOrder.compareDigitRuns(Array(a.utf8)[...], Array(b.utf8)[...])
    }

    public static func == (lhs: SemVer, rhs: SemVer) -> Bool { lhs.comparePrecedence(to: rhs) == 0 }
    public static func < (lhs: SemVer, rhs: SemVer) -> Bool { lhs.comparePrecedence(to: rhs) < 0 }

    // MARK: Parsing

    /// Strict: the semver.org grammar. Lenient (for ``VersionOrder/semverCompare(_:_:)``):
    /// additionally one leading `v`/`V`, 1 to 3 core numbers (missing ones are 0) and
    /// leading zeros in core numbers (ignored). Pre-release and build stay strict.
    static func parse(_ s: [UInt8], lenient: Bool) -> SemVer? {
        var body = s[...]
        if lenient, let first = body.first, first == 0x76 || first == 0x56 { // v V
            body = body.dropFirst()
        }
        // build metadata: after the first '+'
        var build: [String] = []
        if let plus = body.firstIndex(of: 0x2B) {
            guard let ids = identifiers(body[(plus + 1)...], prerelease: false) else { return nil }
            build = ids
            body = body[..<plus]
        }
        // pre-release: after the first '-' (the core has no '-')
        var prerelease: [String] = []
        if let minus = body.firstIndex(of: 0x2D) {
            guard let ids = identifiers(body[(minus + 1)...], prerelease: true) else { return nil }
            prerelease = ids
            body = body[..<minus]
        }
        let parts = body.split(separator: 0x2E, omittingEmptySubsequences: false)
        guard lenient ? (1...3).contains(parts.count) : parts.count == 3 else { return nil }
        var core: [String] = []
        for p in parts {
            guard !p.isEmpty, p.allSatisfy(VersionOrder.isDigit) else { return nil }
            if p.count > 1 && p.first == 0x30 {
                guard lenient else { return nil }
            }
            let trimmed = p.drop(while: { $0 == 0x30 })
            core.append(trimmed.isEmpty ? "0" : String(decoding: trimmed, as: UTF8.self))
        }
        while core.count < 3 { core.append("0") }
        return SemVer(major: core[0], minor: core[1], patch: core[2],
                      prerelease: prerelease, build: build)
    }

    /// Dot-separated non-empty `[0-9A-Za-z-]+` identifiers; in a pre-release a numeric
    /// identifier may not have leading zeros.
    private static func identifiers(_ s: ArraySlice<UInt8>, prerelease: Bool) -> [String]? {
        var out: [String] = []
        for id in s.split(separator: 0x2E, omittingEmptySubsequences: false) {
            guard !id.isEmpty,
                  id.allSatisfy({ VersionOrder.isAlnum($0) || $0 == 0x2D }) else { return nil }
            if prerelease, id.count > 1, id.first == 0x30, id.allSatisfy(VersionOrder.isDigit) {
                return nil
            }
            out.append(String(decoding: id, as: UTF8.self))
        }
        return out
    }
}

extension VersionOrder {
    /// SemVer 2.0.0 precedence (semver.org §11): -1, 0, 1. Build metadata is ignored.
    ///
    /// Leniency, because real-world tags (e.g. the Astra seed's `v1.20`) are not always
    /// strict SemVer: one leading `v` or `V` is ignored, missing minor/patch numbers are 0
    /// (`v1.20 == 1.20.0`, `1 == 1.0.0`), and leading zeros in the core numbers are ignored
    /// (`1.02.0 == 1.2.0`). Pre-release and build parts must still be strict SemVer
    /// (`v1.20-rc.1` is `1.20.0-rc.1`).
    ///
    /// Strings that are not versions even so (e.g. `latest`, `1.2.3.4`, `""`) sort before
    /// every version, and among themselves with ``rpmvercmp(_:_:)`` (a generic,
    /// digits-aware segment compare), so the result is still a consistent order.
    public static func semverCompare(_ a: String, _ b: String) -> Int {
        let x = SemVer.parse(Array(a.utf8), lenient: true)
        let y = SemVer.parse(Array(b.utf8), lenient: true)
        switch (x, y) {
        case let (x?, y?): return x.comparePrecedence(to: y)
        case (nil, _?): return -1
        case (_?, nil): return 1
        case (nil, nil): return rpmvercmp(a, b)
        }
    }
}
