/// Which version-ordering rules a version string follows.
public enum VersionScheme: String, Sendable, Codable, CaseIterable {
    /// rpm: `[epoch:]version[-release]`, compared like rpm 4.18 (`rpmverCmp` / `rpmvercmp`).
    case rpm
    /// dpkg: `[epoch:]upstream[-revision]`, compared like `dpkg --compare-versions` (dpkg 1.21).
    case dpkg
    /// SemVer 2.0.0 precedence, with a small leniency (see ``VersionOrder/semverCompare(_:_:)``).
    case semver
}

/// Exact version ordering as the package managers themselves do it.
///
/// Every function returns `-1`, `0` or `1` (a is older, equal, newer than b), is total
/// (never traps: empty strings, non-ASCII text and arbitrarily long digit runs are fine;
/// digit runs are compared as strings, never converted to integers) and is pure.
///
/// The rpm and dpkg ports work on the UTF-8 bytes of the strings with C string semantics:
/// a string is cut at its first NUL, as it would be on its way into the C code.
/// The ports are tested against `/usr/bin/rpm` (4.18) and `/usr/bin/dpkg` (1.21).
public enum VersionOrder {
    /// Compares `a` and `b` with the rules of `scheme`.
    public static func compare(_ a: String, _ b: String, scheme: VersionScheme) -> Int {
        switch scheme {
        case .rpm: return rpmCompare(a, b)
        case .dpkg: return dpkgCompare(a, b)
        case .semver: return semverCompare(a, b)
        }
    }
}

// MARK: - Byte helpers shared by the ports (C "locale-free" ASCII classes).

extension VersionOrder {
    /// The UTF-8 bytes of `s` up to (not including) the first NUL, like a C string.
    @inline(__always)
    static func cBytes(_ s: String) -> [UInt8] {
        var bytes = Array(s.utf8)
        if let nul = bytes.firstIndex(of: 0) { bytes.removeSubrange(nul...) }
        return bytes
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }

    /// Sign of an `Int` as -1, 0, 1.
    @inline(__always) static func sign(_ x: Int) -> Int { x < 0 ? -1 : (x > 0 ? 1 : 0) }

    /// Compares two runs of decimal digits numerically without converting them to integers:
    /// leading zeros are dropped, then the longer run is larger, then bytewise.
    static func compareDigitRuns(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        var i = a.startIndex, j = b.startIndex
        while i < a.endIndex && a[i] == 0x30 { i += 1 }
        while j < b.endIndex && b[j] == 0x30 { j += 1 }
        let la = a.endIndex - i, lb = b.endIndex - j
        if la != lb { return la > lb ? 1 : -1 }
        return compareBytes(a[i...], b[j...])
    }

    /// `strcmp` on NUL-free byte runs (unsigned bytes, a proper prefix is smaller).
    static func compareBytes(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        var i = a.startIndex, j = b.startIndex
        while i < a.endIndex && j < b.endIndex {
            let x = a[i], y = b[j]
            if x != y { return x < y ? -1 : 1 }
            i += 1
            j += 1
        }
        if i < a.endIndex { return 1 }
        if j < b.endIndex { return -1 }
        return 0
    }
}
