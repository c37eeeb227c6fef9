// dpkg version ordering: a port of dpkg 1.21's lib/dpkg/version.c (`order`, `verrevcmp`,
// `dpkg_version_compare`), lib/dpkg/parsehelp.c (`parseversion`) and the argument handling
// of `dpkg --compare-versions` (src/main/enquiry.c `cmpversions`).

extension VersionOrder {
    /// dpkg's full version comparison of two `[epoch:]upstream[-revision]` strings: -1, 0, 1.
    ///
    /// Exact port of what `dpkg --compare-versions a lt|eq|gt b` answers:
    /// - Leading and trailing blanks (space, tab) are ignored. The epoch is everything before
    ///   the FIRST `:` (a decimal number, 0 when absent); the revision is everything after
    ///   the LAST `-` (`1.0-1-2` is upstream `1.0-1`, revision `2`); no `-` means an empty
    ///   revision.
    /// - Epochs compare numerically, then upstream, then revision, each with `verrevcmp`:
    ///   alternating non-digit and digit runs; in a non-digit run `~` sorts before
    ///   everything, even the end of the string (`1.0~rc1 < 1.0`), then the end / a digit,
    ///   then ASCII letters, then every other byte (`1.0a < 1.0+`); digit runs compare
    ///   numerically (any length, leading zeros ignored).
    /// - `""` and `"<unknown>"` are "no version" (dpkg's blank version): equal to each other
    ///   and older than every real version.
    /// - Versions dpkg accepts with a warning (upstream not starting with a digit, characters
    ///   outside the allowed sets, non-ASCII) are compared exactly as dpkg compares them
    ///   (for non-ASCII bytes: as dpkg on amd64, where C `char` is signed).
    ///
    /// Strings dpkg refuses outright (exit status 2: blank-only, embedded blanks, empty,
    /// non-numeric, negative or too big epoch, nothing after the colon, empty upstream or
    /// empty revision) have no dpkg order. They are still ordered, deterministically and
    /// consistently: the blank-trimmed string is split without the epoch checks (epoch 0
    /// unless the part before the first `:` is a valid epoch; revision after the last `-`)
    /// and compared like a valid version; a blank-only string counts as "no version".
    public static func dpkgCompare(_ a: String, _ b: String) -> Int {
        let x = DpkgVersion(parsing: cBytes(a))
        let y = DpkgVersion(parsing: cBytes(b))
        return dpkgCompare(x, y)
    }

    /// `dpkg --compare-versions` on two parsed versions.
    static func dpkgCompare(_ a: DpkgVersion, _ b: DpkgVersion) -> Int {
        switch (a.isInformative, b.isInformative) {
        case (false, false): return 0
        case (false, true): return -1
        case (true, false): return 1
        case (true, true): break
        }
        // dpkg_version_compare
        if a.epoch != b.epoch { return a.epoch > b.epoch ? 1 : -1 }
        let rc = verrevcmp(a.upstream, b.upstream)
        if rc != 0 { return sign(rc) }
        return sign(verrevcmp(a.revision, b.revision))
    }

    /// How `parseversion` judged a version string.
    enum DpkgSyntax: Equatable {
        /// Accepted.
        case valid
        /// dpkg compares it but warns ("version number does not start with digit",
        /// "invalid character in version/revision number").
        case warning
        /// dpkg refuses it (`dpkg --compare-versions` exits 2).
        case error
        /// `""` / `"<unknown>"`: dpkg's blank version, not parsed at all.
        case blank
    }

    /// A dpkg version split into its parts, as `parseversion` does it.
    struct DpkgVersion: Equatable {
        var epoch: Int
        var upstream: [UInt8]
        var revision: [UInt8]
        var syntax: DpkgSyntax
        /// `dpkg_version_is_informative`: false only for the blank version.
        var isInformative: Bool

        static let blank = DpkgVersion(epoch: 0, upstream: [], revision: [], syntax: .blank,
                                       isInformative: false)

        init(epoch: Int, upstream: [UInt8], revision: [UInt8], syntax: DpkgSyntax,
             isInformative: Bool) {
            self.epoch = epoch
            self.upstream = upstream
            self.revision = revision
            self.syntax = syntax
            self.isInformative = isInformative
        }

        /// Parses like `cmpversions` + `parseversion`, with the lenient fallback described at
        /// ``VersionOrder/dpkgCompare(_:_:)`` for strings dpkg refuses.
        init(parsing s: [UInt8]) {
            // cmpversions: `*argv[0] && strcmp(argv[0], "<unknown>")`, else blank.
            if s.isEmpty || s == Array("<unknown>".utf8) {
                self = .blank
                return
            }
            let isBlank = { (c: UInt8) in c == 0x20 || c == 0x09 }
            var start = 0
            while start < s.count && isBlank(s[start]) { start += 1 }
            if start == s.count {
                // "version string is empty": refused; ordered as no version.
                self = .blank
                self.syntax = .error
                return
            }
            var end = start
            while end < s.count && !isBlank(s[end]) { end += 1 }
            var after = end
            while after < s.count && isBlank(s[after]) { after += 1 }
            var error = after < s.count          // "version string has embedded spaces"
            // Lenient fallback for embedded blanks: keep everything up to the trailing blanks.
            var last = s.count
            while last > start && isBlank(s[last - 1]) { last -= 1 }
            let str = Array(s[start..<(error ? last : end)])

            var epoch = 0
            var rest = str[...]
            if let colon = str.firstIndex(of: 0x3A) {
                let parsed = DpkgVersion.parseEpoch(str[..<colon])
                if parsed == nil { error = true }             // empty/not number/negative/big
                if colon + 1 == str.count { error = true }    // nothing after colon
                if let parsed {
                    epoch = parsed
                    rest = str[(colon + 1)...]
                }
                // else (refused): fallback keeps the whole string as upstream, epoch 0.
            }
            var upstream = rest
            var revision = rest[rest.endIndex...]
            if let hyphen = rest.lastIndex(of: 0x2D) {
                upstream = rest[..<hyphen]
                revision = rest[(hyphen + 1)...]
                if revision.isEmpty { error = true }          // revision number is empty
            }
            if upstream.isEmpty { error = true }              // version number is empty

            var syntax = DpkgSyntax.valid
            if error {
                syntax = .error
            } else if !isDigit(upstream[upstream.startIndex]) {
                syntax = .warning                             // does not start with digit
            } else if upstream.contains(where: { !(isAlnum($0) || $0 == 0x2E || $0 == 0x2D
                                                   || $0 == 0x2B || $0 == 0x7E || $0 == 0x3A) }) {
                syntax = .warning                             // invalid char in version
            } else if revision.contains(where: { !(isAlnum($0) || $0 == 0x2E || $0 == 0x2B
                                                   || $0 == 0x7E) }) {
                syntax = .warning                             // invalid char in revision
            }
            self.init(epoch: epoch, upstream: Array(upstream), revision: Array(revision),
                      syntax: syntax, isInformative: true)
        }

        /// The epoch before the first `:` as dpkg accepts it: `strtol` base 10 (leading
        /// `isspace` and one sign allowed), the whole prefix consumed, 0...INT32_MAX.
        /// nil when dpkg would refuse it.
        static func parseEpoch(_ p: ArraySlice<UInt8>) -> Int? {
            var i = p.startIndex
            // strtol skips isspace: ' ', \t, \n, \v, \f, \r
            while i < p.endIndex && (p[i] == 0x20 || (p[i] >= 0x09 && p[i] <= 0x0D)) { i += 1 }
            var negative = false
            if i < p.endIndex && (p[i] == 0x2B || p[i] == 0x2D) {
                negative = p[i] == 0x2D
                i += 1
            }
            let digitsStart = i
            while i < p.endIndex && isDigit(p[i]) { i += 1 }
            // no digits: "epoch in version is empty"; junk after digits: "is not number"
            if i == digitsStart || i != p.endIndex { return nil }
            let digits = p[digitsStart..<i].drop(while: { $0 == 0x30 })
            if digits.isEmpty { return 0 }                  // "-0" is 0, not negative
            if negative { return nil }                      // "epoch in version is negative"
            // "epoch in version is too big": > INT_MAX (2147483647)
            if compareDigitRuns(digits, Array("2147483647".utf8)[...]) > 0 { return nil }
            var value = 0
            for d in digits { value = value * 10 + Int(d - 0x30) }
            return value
        }
    }

    /// dpkg's `order()`: the weight of one byte in a non-digit run: `~` -1, end and digits 0,
    /// letters their ASCII code, anything else its code + 256. `order` takes a C `char`,
    /// which is signed on x86 and the like, so a byte >= 0x80 weighs (byte - 256) + 256,
    /// i.e. its own value: after letters, before ASCII punctuation (`1a < 1é < 1.`).
    /// (Where `char` is unsigned, e.g. dpkg on arm64, such bytes weigh byte + 256 instead;
    /// this port follows amd64. Only versions dpkg already warns about contain them.)
    @inline(__always)
    static func dpkgOrder(_ c: UInt8?) -> Int {
        guard let c else { return 0 }          // end of string
        if isDigit(c) { return 0 }
        if isAlpha(c) { return Int(c) }
        if c == 0x7E { return -1 }             // '~'
        return Int(Int8(bitPattern: c)) + 256
    }

    /// dpkg's `verrevcmp`: negative, zero or positive (not normalized).
    static func verrevcmp(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0, j = 0
        let na = a.count, nb = b.count
        @inline(__always) func at(_ s: [UInt8], _ k: Int, _ n: Int) -> UInt8? { k < n ? s[k] : nil }

        while i < na || j < nb {
            var firstDiff = 0
            while (i < na && !isDigit(a[i])) || (j < nb && !isDigit(b[j])) {
                let ac = dpkgOrder(at(a, i, na))
                let bc = dpkgOrder(at(b, j, nb))
                if ac != bc { return ac - bc }
                // Equal weights here are never 0 (the loop runs only while one side has a
                // non-digit, whose weight is non-zero), so neither side is at its end.
                i += 1
                j += 1
            }
            while i < na && a[i] == 0x30 { i += 1 }
            while j < nb && b[j] == 0x30 { j += 1 }
            while i < na && j < nb && isDigit(a[i]) && isDigit(b[j]) {
                if firstDiff == 0 { firstDiff = Int(a[i]) - Int(b[j]) }
                i += 1
                j += 1
            }
            if i < na && isDigit(a[i]) { return 1 }
            if j < nb && isDigit(b[j]) { return -1 }
            if firstDiff != 0 { return firstDiff }
        }
        return 0
    }
}
