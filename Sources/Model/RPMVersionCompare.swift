// rpm version ordering: a port of rpm 4.18's rpmio/rpmvercmp.c (`rpmvercmp`) and of
// rpmio/rpmver.c (`parseEVR`, `rpmverCmp`), which is what `rpm.vercmp()` runs in rpm 4.18.

extension VersionOrder {
    /// rpm's `rpmvercmp` on one version or release string: -1, 0, 1.
    ///
    /// Exact port of rpm 4.18: the strings are split into maximal runs of ASCII digits or
    /// ASCII letters; anything else (including every non-ASCII byte) is a separator, and
    /// all separators are equal. A digit run beats a letter run; digit runs compare
    /// numerically (leading zeros ignored, any length); letter runs compare bytewise.
    /// `~` sorts before everything, even the end of the string (`1.0~rc1 < 1.0`);
    /// `^` sorts after the end of the string but before anything else
    /// (`1.0 < 1.0^git1 < 1.0.1`). If everything compared equal, the string with a
    /// segment left over is newer (`1.0 < 1.0.0`); separators left over do not count
    /// (`1.0 == 1.0. == 1.0_`).
    public static func rpmvercmp(_ a: String, _ b: String) -> Int {
        rpmvercmp(bytes: cBytes(a), cBytes(b))
    }

    /// Full EVR comparison, rpm 4.18's `rpmverCmp` (what `rpm.vercmp("E:V-R", …)` does).
    ///
    /// - The epoch comes first; a missing epoch is 0. Epochs compare numerically
    ///   (rpm epochs are unsigned; a negative `Int` is simply smaller).
    /// - Then the versions, with ``rpmvercmp(_:_:)``.
    /// - Then the releases: if both are present they compare with ``rpmvercmp(_:_:)``;
    ///   if both are missing they are equal; **if only one is missing, that side is older**
    ///   (`1.0 < 1.0-1`). This is rpm 4.18's `rpmverCmp`, chosen over the
    ///   "a missing release matches any release" rule of dependency matching
    ///   (`rpmdsCompare`/`rpmverOverlap`) because it is a consistent total order
    ///   (treating a missing release as equal to every release is not transitive:
    ///   `1.0-1 == 1.0 == 1.0-2` but `1.0-1 < 1.0-2`), so it can sort. To get the
    ///   dependency-matching answer for a requirement without a release, pass `nil` as the
    ///   release on both sides.
    public static func rpmCompareEVR(epoch: Int?, version: String, release: String?,
                                     toEpoch: Int?, toVersion: String, toRelease: String?) -> Int {
        let e1 = epoch ?? 0, e2 = toEpoch ?? 0
        if e1 != e2 { return e1 < e2 ? -1 : 1 }
        let rc = rpmvercmp(version, toVersion)
        if rc != 0 { return rc }
        switch (release, toRelease) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case let (r1?, r2?): return rpmvercmp(r1, r2)
        }
    }

    /// Parses two `[epoch:]version[-release]` strings and compares them exactly as rpm 4.18's
    /// `rpm.vercmp()` does (`rpmverParse` + `rpmverCmp`).
    ///
    /// Parsing (rpm's `parseEVR`): the epoch is the run of leading ASCII digits if and only
    /// if it is followed by `:` (`:1.0` has epoch 0; `a:1` has no epoch and version `a:1`);
    /// the release is everything after the LAST `-` (`1.0-1-2` is version `1.0-1`,
    /// release `2`; `1.0-` has an empty release, which is newer than no release).
    /// Epoch strings compare with ``rpmvercmp(_:_:)``, so huge epochs are fine.
    /// Missing releases: see ``rpmCompareEVR(epoch:version:release:toEpoch:toVersion:toRelease:)``.
    ///
    /// rpm refuses an empty string ("invalid version"); here an empty string sorts before
    /// every non-empty one and equals another empty string.
    public static func rpmCompare(_ a: String, _ b: String) -> Int {
        let x = cBytes(a), y = cBytes(b)
        switch (x.isEmpty, y.isEmpty) {
        case (true, true): return 0
        case (true, false): return -1
        case (false, true): return 1
        case (false, false): break
        }
        let p = RPMEVR(x), q = RPMEVR(y)
        // rpmverCmp: compare_values on epoch ("0" when missing), version, release.
        var rc = rpmvercmp(bytes: p.epoch ?? [0x30], q.epoch ?? [0x30])
        if rc != 0 { return rc }
        rc = rpmvercmp(bytes: p.version, q.version)
        if rc != 0 { return rc }
        switch (p.release, q.release) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case let (r1?, r2?): return rpmvercmp(bytes: r1, r2)
        }
    }

    /// An rpm `[epoch:]version[-release]` split the way rpm's `parseEVR` does it.
    struct RPMEVR: Equatable {
        /// nil: no epoch given. An empty epoch before `:` becomes "0".
        var epoch: [UInt8]?
        var version: [UInt8]
        /// nil: no `-` anywhere after the epoch.
        var release: [UInt8]?

        init(_ evr: [UInt8]) {
            var s = 0
            while s < evr.count && isDigit(evr[s]) { s += 1 }
            // strrchr(s, '-'): the last '-' at or after s.
            var se: Int? = nil
            var k = evr.count - 1
            while k >= s {
                if evr[k] == 0x2D { se = k; break }
                k -= 1
            }
            let versionStart: Int
            if s < evr.count && evr[s] == 0x3A {   // ':'
                epoch = s == 0 ? [0x30] : Array(evr[0..<s])
                versionStart = s + 1
            } else {
                epoch = nil
                versionStart = 0
            }
            if let se {
                version = Array(evr[versionStart..<se])
                release = Array(evr[(se + 1)...])
            } else {
                version = Array(evr[versionStart...])
                release = nil
            }
        }
    }

    /// `rpmvercmp` on C-string bytes (no NULs inside).
    static func rpmvercmp(bytes x: [UInt8], _ y: [UInt8]) -> Int {
        // easy comparison to see if versions are identical
        if x == y { return 0 }
        let tilde: UInt8 = 0x7E, caret: UInt8 = 0x5E
        let nx = x.count, ny = y.count
        var one = 0, two = 0

        // loop through each version segment of x and y and compare them
        while one < nx || two < ny {
            while one < nx && !isAlnum(x[one]) && x[one] != tilde && x[one] != caret { one += 1 }
            while two < ny && !isAlnum(y[two]) && y[two] != tilde && y[two] != caret { two += 1 }
            let c1: UInt8 = one < nx ? x[one] : 0
            let c2: UInt8 = two < ny ? y[two] : 0

            // handle the tilde separator, it sorts before everything else
            if c1 == tilde || c2 == tilde {
                if c1 != tilde { return 1 }
                if c2 != tilde { return -1 }
                one += 1; two += 1
                continue
            }

            // caret: like tilde, except that if one of the strings ends (base version),
            // the other is considered the higher version
            if c1 == caret || c2 == caret {
                if c1 == 0 { return -1 }
                if c2 == 0 { return 1 }
                if c1 != caret { return 1 }
                if c2 != caret { return -1 }
                one += 1; two += 1
                continue
            }

            // if we ran to the end of either, we are finished with the loop
            if c1 == 0 || c2 == 0 { break }

            // grab the first completely alpha or completely numeric segment
            var str1 = one, str2 = two
            let isnum: Bool
            if isDigit(c1) {
                while str1 < nx && isDigit(x[str1]) { str1 += 1 }
                while str2 < ny && isDigit(y[str2]) { str2 += 1 }
                isnum = true
            } else {
                while str1 < nx && isAlpha(x[str1]) { str1 += 1 }
                while str2 < ny && isAlpha(y[str2]) { str2 += 1 }
                isnum = false
            }

            // cannot happen: the first string has a non-empty segment
            if one == str1 { return -1 }
            // segments of different types: numeric is newer than alpha
            if two == str2 { return isnum ? 1 : -1 }

            let rc = isnum
                ? compareDigitRuns(x[one..<str1], y[two..<str2])
                : compareBytes(x[one..<str1], y[two..<str2])
            if rc != 0 { return rc }

            one = str1
            two = str2
        }

        // all segments compared identically but the separators may differ
        if one >= nx && two >= ny { return 0 }
        // whichever version still has characters left over wins
        return one >= nx ? -1 : 1
    }
}
