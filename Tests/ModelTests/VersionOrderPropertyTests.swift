import Foundation
import XCTest
@testable import PkgfsModel

/// Property tests: thousands of generated pairs (seeded, so reproducible) compared against the
/// real tools, rpm 4.18 (one `rpm --eval` process running a Lua loop) and dpkg 1.21 (one bash
/// process running `dpkg --compare-versions` per pair), with zero disagreements allowed; plus
/// order laws (antisymmetry, transitivity) for all three schemes and the strict SemVer parser
/// against semver.org's official regex.
///
/// rpm and dpkg are installed by the project's setup; if they are missing these tests FAIL.
final class VersionOrderPropertyTests: XCTestCase {

    static let rpmPath = "/usr/bin/rpm"
    static let dpkgPath = "/usr/bin/dpkg"

    // MARK: rpm

    func testRpmvercmpAndEVRCompareAgreeWithRpm() throws {
        guard requireTool(Self.rpmPath) else { return }
        var rng = SplitMix64(seed: 0x5EED_0001)
        var vercmpPairs: [(String, String)] = []
        while vercmpPairs.count < 3000 {
            vercmpPairs.append(rpmPair(&rng, allowColon: true))
        }
        var evrPairs: [(String, String)] = []
        while evrPairs.count < 3000 {
            let (a, b) = rpmPair(&rng, allowColon: true, evr: true)
            if !a.isEmpty && !b.isEmpty { evrPairs.append((a, b)) }   // rpm refuses ""
        }

        // "v": rpmvercmp(a, b), asked as rpm.vercmp("0:"..a.."-", "0:"..b.."-") so that rpm's
        //      EVR split sees epoch 0, version a (any ':' or '-' in it stays), release "".
        // "e": rpm.vercmp(a, b) on the raw strings (epoch/version/release parsing included).
        var lines: [String] = []
        for (a, b) in vercmpPairs { lines.append("v\t\(a)\t\(b)") }
        for (a, b) in evrPairs { lines.append("e\t\(a)\t\(b)") }
        let input = try writeTemp(lines.joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(atPath: input) }

        // No '%' in the Lua code: rpm would take it for a macro.
        let lua = """
            local tab = string.char(9)
            local results = {}
            for line in io.lines("\(input)") do
              local t1 = string.find(line, tab, 1, true)
              local t2 = string.find(line, tab, t1 + 1, true)
              local kind = string.sub(line, 1, t1 - 1)
              local a = string.sub(line, t1 + 1, t2 - 1)
              local b = string.sub(line, t2 + 1)
              if kind == "v" then a = "0:" .. a .. "-"; b = "0:" .. b .. "-" end
              results[#results + 1] = tostring(rpm.vercmp(a, b))
            end
            print(table.concat(results, " "))
            """
        let out = try run(Self.rpmPath, ["--eval", "%{lua:\(lua)}"])
        XCTAssertEqual(out.status, 0, "rpm failed: \(out.stderr)")
        // rpm's Lua print() output is collected into the expansion; one line, space-separated.
        let results = out.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { Int($0) }
        XCTAssertEqual(results.count, lines.count, "rpm answered \(results.count) of \(lines.count)")
        guard results.count == lines.count else { return }

        var disagreements: [String] = []
        for (k, (a, b)) in vercmpPairs.enumerated() {
            let ours = VersionOrder.rpmvercmp(a, b)
            if ours != results[k] {
                disagreements.append("rpmvercmp(\(debug(a)), \(debug(b))): ours \(ours), rpm \(String(describing: results[k]))")
            }
        }
        for (k, (a, b)) in evrPairs.enumerated() {
            let ours = VersionOrder.rpmCompare(a, b)
            let theirs = results[vercmpPairs.count + k]
            if ours != theirs {
                disagreements.append("rpmCompare(\(debug(a)), \(debug(b))): ours \(ours), rpm \(String(describing: theirs))")
            }
        }
        print("rpm: \(vercmpPairs.count) rpmvercmp pairs, \(evrPairs.count) EVR pairs, outcomes -1/0/1: "
              + "\(results.filter { $0 == -1 }.count)/\(results.filter { $0 == 0 }.count)/\(results.filter { $0 == 1 }.count)")
        XCTAssertEqual(disagreements.count, 0,
                       "\(disagreements.count) disagreements with rpm:\n" + disagreements.prefix(20).joined(separator: "\n"))
        // The generator must actually exercise all three outcomes.
        let outcomes = Set(results.compactMap { $0 })
        XCTAssertEqual(outcomes, [-1, 0, 1])
    }

    // MARK: dpkg

    func testDpkgCompareAgreesWithDpkg() throws {
        guard requireTool(Self.dpkgPath) else { return }
        var rng = SplitMix64(seed: 0x5EED_0002)
        var pairs: [(String, String)] = []
        while pairs.count < 2000 {
            pairs.append(dpkgPair(&rng))
        }
        let input = try writeTemp(pairs.map { "\($0.0)|\($0.1)" }.joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(atPath: input) }

        // One bash process; the file is split in two halves run in parallel. Per pair:
        // "lt" true -> -1; else "eq" true -> 0; else 1; exit status 2 (refused) -> E.
        let script = """
            set -u
            cmp_file() {
              while IFS='|' read -r a b; do
                dpkg --compare-versions "$a" lt "$b" 2>/dev/null; r=$?
                if [ $r -eq 0 ]; then echo -1; continue; fi
                if [ $r -ne 1 ]; then echo E; continue; fi
                dpkg --compare-versions "$a" eq "$b" 2>/dev/null; r=$?
                if [ $r -eq 0 ]; then echo 0; elif [ $r -eq 1 ]; then echo 1; else echo E; fi
              done < "$1"
            }
            f=$1
            n=$(wc -l < "$f"); h=$(( (n + 1) / 2 ))
            head -n "$h" "$f" > "$f.1"; tail -n +"$((h + 1))" "$f" > "$f.2"
            cmp_file "$f.1" > "$f.o1" & cmp_file "$f.2" > "$f.o2" & wait
            cat "$f.o1" "$f.o2"
            rm -f "$f.1" "$f.2" "$f.o1" "$f.o2"
            """
        let out = try run("/bin/bash", ["-c", script, "bash", input],
                          environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"])
        XCTAssertEqual(out.status, 0, "bash failed: \(out.stderr)")
        let results = out.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(results.count, pairs.count, "dpkg answered \(results.count) of \(pairs.count)")
        guard results.count == pairs.count else { return }

        var disagreements: [String] = []
        var compared = 0, refused = 0, warned = 0
        var outcomes = Set<Int>()
        for (k, (a, b)) in pairs.enumerated() {
            let pa = VersionOrder.DpkgVersion(parsing: Array(a.utf8))
            let pb = VersionOrder.DpkgVersion(parsing: Array(b.utf8))
            let weRefuse = pa.syntax == .error || pb.syntax == .error
            if results[k] == "E" {
                refused += 1
                // Filtered: dpkg refuses the pair; we must agree that one side is refused.
                if !weRefuse { disagreements.append("dpkg refuses (\(debug(a)), \(debug(b))), we accept") }
                continue
            }
            if weRefuse {
                disagreements.append("we refuse (\(debug(a)), \(debug(b))), dpkg answers \(results[k])")
                continue
            }
            if pa.syntax == .warning || pb.syntax == .warning { warned += 1 }
            compared += 1
            let theirs = Int(results[k])
            let ours = VersionOrder.dpkgCompare(a, b)
            if let theirs { outcomes.insert(theirs) }
            if ours != theirs {
                disagreements.append("dpkgCompare(\(debug(a)), \(debug(b))): ours \(ours), dpkg \(results[k])")
            }
        }
        print("dpkg: \(pairs.count) pairs: \(compared) compared (\(warned) with warning-level versions), \(refused) refused by dpkg")
        XCTAssertEqual(disagreements.count, 0,
                       "\(disagreements.count) disagreements with dpkg:\n" + disagreements.prefix(20).joined(separator: "\n"))
        XCTAssertGreaterThan(compared, 1500, "too many generated pairs refused (\(refused))")
        XCTAssertGreaterThan(warned, 20, "the generator should also produce warning-level versions")
        XCTAssertEqual(outcomes, [-1, 0, 1])
    }

    // MARK: order laws, in process

    func testOrderLawsForAllSchemes() {
        var rng = SplitMix64(seed: 0x5EED_0003)
        var pools: [VersionScheme: [String]] = [:]
        pools[.rpm] = (0..<150).map { _ in rpmString(&rng, allowColon: true, evr: true) }
        pools[.dpkg] = (0..<150).map { _ in dpkgString(&rng) }
        pools[.semver] = (0..<150).map { _ in semverString(&rng) }
        for scheme in VersionScheme.allCases {
            let pool = pools[scheme]!
            // Antisymmetry and reflexivity on all pairs.
            var cmp = [[Int]](repeating: [Int](repeating: 0, count: pool.count), count: pool.count)
            for i in pool.indices {
                for j in pool.indices {
                    cmp[i][j] = VersionOrder.compare(pool[i], pool[j], scheme: scheme)
                }
            }
            for i in pool.indices {
                XCTAssertEqual(cmp[i][i], 0, "\(scheme): \(debug(pool[i])) vs itself")
                for j in pool.indices where cmp[i][j] != -cmp[j][i] {
                    XCTFail("\(scheme): not antisymmetric: \(debug(pool[i])) vs \(debug(pool[j]))")
                }
            }
            // Transitivity on all triples: a <= b <= c implies a <= c, with equality only if both.
            var failures = 0
            for i in pool.indices {
                for j in pool.indices where cmp[i][j] <= 0 {
                    for k in pool.indices where cmp[j][k] <= 0 {
                        let expected = (cmp[i][j] == 0 && cmp[j][k] == 0) ? 0 : -1
                        if cmp[i][k] != expected {
                            failures += 1
                            if failures <= 5 {
                                XCTFail("\(scheme): not transitive: \(debug(pool[i])), \(debug(pool[j])), \(debug(pool[k]))")
                            }
                        }
                    }
                }
            }
        }
    }

    func testStrictSemVerMatchesTheOfficialRegex() throws {
        // https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
        let official = try Regex(#"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"#)
            .asciiOnlyDigits().asciiOnlyWordCharacters()
        var rng = SplitMix64(seed: 0x5EED_0004)
        var accepted = 0
        for _ in 0..<3000 {
            let s = semverString(&rng)
            let regexSays = s.wholeMatch(of: official) != nil
            let ours = SemVer(s)
            XCTAssertEqual(ours != nil, regexSays, "SemVer(\(debug(s)))")
            if let ours {
                accepted += 1
                XCTAssertEqual(ours.description, s)
            }
        }
        XCTAssertGreaterThan(accepted, 500)
        XCTAssertLessThan(accepted, 2800)
    }

    func testNeverCrashesOnOddInput() {
        var rng = SplitMix64(seed: 0x5EED_0005)
        let odd = ["", "\u{0}", "\u{0}\u{0}", "~", "^", "-", ":", "+", "::", "--", "-:-", "0:",
                   ":0", "\u{FFFD}", "😀", "é~1", "v", "V", ".", "+.", "-.", "1..", "\t", " ",
                   String(repeating: "9", count: 1000), String(repeating: "0", count: 1000),
                   String(repeating: "~", count: 100), String(repeating: "a1.", count: 200),
                   "<unknown>", "\u{7F}", "\u{80}", "1\u{0}2"]
        var samples = odd
        for _ in 0..<200 { samples.append(randomBytesString(&rng)) }
        for a in samples {
            for b in odd {
                for scheme in VersionScheme.allCases {
                    let r = VersionOrder.compare(a, b, scheme: scheme)
                    XCTAssertTrue((-1...1).contains(r))
                    XCTAssertEqual(r, -VersionOrder.compare(b, a, scheme: scheme))
                }
                _ = VersionOrder.rpmvercmp(a, b)
                _ = SemVer(a)
            }
        }
    }

    // MARK: - generators

    /// Version-like strings: runs of digits (often with leading zeros, sometimes very long),
    /// runs of letters, and single separators.
    private func rpmString(_ rng: inout SplitMix64, allowColon: Bool, evr: Bool = false) -> String {
        var s = ""
        if evr && rng.chance(0.3) {
            s += rng.chance(0.1) ? "" : digitRun(&rng)
            s += ":"
        }
        let tokens = rng.int(0...8)
        for _ in 0..<tokens {
            switch rng.int(0...9) {
            case 0...3: s += digitRun(&rng)
            case 4...5: s += letterRun(&rng)
            case 6: s += rng.pick(["~", "~", "^", "^"])
            case 7: s += rng.pick([".", ".", ".", "-", "+", "_"])
            case 8: s += rng.pick(allowColon ? [".", "-", ":", "~", "^"] : [".", "-", "~", "^"])
            default: s += rng.pick([".", "é", "α", "-", "_", "+", "~", "^"])
            }
        }
        if evr && rng.chance(0.4) {
            s += "-"
            for _ in 0..<rng.int(0...3) {
                let choices = [digitRun(&rng), letterRun(&rng), ".", "~", "^", "_"]
                s += rng.pick(choices)
            }
        }
        return s
    }

    private func rpmPair(_ rng: inout SplitMix64, allowColon: Bool, evr: Bool = false) -> (String, String) {
        let a = rpmString(&rng, allowColon: allowColon, evr: evr)
        switch rng.int(0...9) {
        case 0: return (a, a)
        case 1...6: return (a, mutate(a, &rng, alphabet: ["0", "1", "9", "00", "a", "z", "A", ".", "~", "^", "-", "+", "_", ":"]))
        default: return (a, rpmString(&rng, allowColon: allowColon, evr: evr))
        }
    }

    /// dpkg version strings: mostly valid, sometimes warning-level (bad characters, upstream
    /// not starting with a digit), occasionally refused or blank. Never starting with '-'
    /// (dpkg would take it for an option).
    private func dpkgString(_ rng: inout SplitMix64) -> String {
        if rng.chance(0.02) { return "" }
        var s = ""
        if rng.chance(0.1) { s += rng.pick([" ", "\t"]) }
        let hasEpoch = rng.chance(0.3)
        if hasEpoch { s += digitRun(&rng, maxLength: 3) + ":" }
        s += rng.chance(0.93) ? digitRun(&rng) : letterRun(&rng)
        for _ in 0..<rng.int(0...6) {
            switch rng.int(0...9) {
            case 0...3: s += digitRun(&rng)
            case 4...5: s += letterRun(&rng)
            case 6: s += "~"
            case 7: s += rng.pick([".", ".", "+"])
            case 8: s += rng.pick(hasEpoch ? [":", "-", "."] : ["-", ".", "+"])
            default: s += rng.pick(["~", ".", "_", "^", "é", ":"])   // rare: warnings/refusals
            }
        }
        if rng.chance(0.5) {
            s += "-"
            for _ in 0..<rng.int(1...4) {
                let choices = [digitRun(&rng), letterRun(&rng), ".", "+", "~", "~"]
                s += rng.pick(choices)
            }
        }
        if rng.chance(0.05) { s += rng.pick([" ", "\t", "_", "-"]) }
        return s
    }

    private func dpkgPair(_ rng: inout SplitMix64) -> (String, String) {
        let a = dpkgString(&rng)
        var b: String
        switch rng.int(0...9) {
        case 0: b = a
        case 1...6: b = mutate(a, &rng, alphabet: ["0", "1", "9", "00", "a", "z", "A", ".", "~", "+", "-", ":", "é", "_"])
        default: b = dpkgString(&rng)
        }
        if b.hasPrefix("-") { b = "0" + b }
        return (a, b)
    }

    /// Strings near the SemVer grammar: both valid and subtly invalid ones.
    private func semverString(_ rng: inout SplitMix64) -> String {
        var s = rng.chance(0.1) ? rng.pick(["v", "V"]) : ""
        let parts = rng.chance(0.8) ? 3 : rng.int(1...4)
        s += (0..<parts).map { _ in rng.chance(0.1) ? "0" + digitRun(&rng, maxLength: 2) : numericIdentifier(&rng) }
            .joined(separator: ".")
        if rng.chance(0.5) {
            s += "-" + (0..<rng.int(1...4)).map { _ in prereleaseIdentifier(&rng) }.joined(separator: ".")
        }
        if rng.chance(0.3) {
            s += "+" + (0..<rng.int(1...3)).map { _ in
                let choices = [letterRun(&rng), digitRun(&rng), "-", "x-1", rng.chance(0.1) ? "" : "b"]
                return rng.pick(choices)
            }.joined(separator: ".")
        }
        if rng.chance(0.03) { s += rng.pick(["+", "-", ".", "_", " ", "é"]) }
        return s
    }

    private func numericIdentifier(_ rng: inout SplitMix64) -> String {
        rng.chance(0.2) ? "0" : String(rng.int(1...9)) + (rng.chance(0.5) ? digitRun(&rng, maxLength: 3) : "")
    }

    private func prereleaseIdentifier(_ rng: inout SplitMix64) -> String {
        switch rng.int(0...9) {
        case 0...3: return numericIdentifier(&rng)
        case 4...6: return rng.pick(["alpha", "beta", "rc", "a", "B", "x-y", "-", "--"])
        case 7: return digitRun(&rng, maxLength: 3) + letterRun(&rng)
        case 8: return "0" + digitRun(&rng, maxLength: 2)        // leading zero: invalid if numeric
        default: return rng.pick(["", "_", "é", "1a", "0a"])      // mostly invalid
        }
    }

    private func digitRun(_ rng: inout SplitMix64, maxLength: Int = 4) -> String {
        if maxLength >= 4 && rng.chance(0.02) {                     // a huge run
            return (0..<rng.int(20...40)).map { _ in rng.pick(["0", "1", "9"]) }.joined()
        }
        let n = rng.int(1...maxLength)
        var s = rng.chance(0.25) ? "0" : ""
        for _ in 0..<n { s += String(rng.int(0...9)) }
        return s
    }

    private func letterRun(_ rng: inout SplitMix64) -> String {
        let letters = ["a", "b", "z", "A", "Z", "rc", "alpha", "p", "git", "fc", "el"]
        return (0..<rng.int(1...2)).map { _ in rng.pick(letters) }.joined()
    }

    /// One small edit of `s`: insert, delete or replace a character, or append something.
    private func mutate(_ s: String, _ rng: inout SplitMix64, alphabet: [String]) -> String {
        var chars = s.map(String.init)
        for _ in 0..<rng.int(1...2) {
            let op = chars.isEmpty ? 0 : rng.int(0...3)
            switch op {
            case 0: chars.insert(rng.pick(alphabet), at: rng.int(0...chars.count))
            case 1: chars.remove(at: rng.int(0...(chars.count - 1)))
            case 2: chars[rng.int(0...(chars.count - 1))] = rng.pick(alphabet)
            default: chars.append(rng.pick(alphabet))
            }
        }
        return chars.joined()
    }

    private func randomBytesString(_ rng: inout SplitMix64) -> String {
        let bytes = (0..<rng.int(0...20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - helpers

    private func requireTool(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        if FileManager.default.isExecutableFile(atPath: path) { return true }
        XCTFail("\(path) is missing: these tests compare against the real tool; run scripts/setup "
                + "(the project's setup installs rpm and dpkg)", file: file, line: line)
        return false
    }

    private func writeTemp(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "pkgfs-versionorder-\(UUID().uuidString).txt"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private struct Output { var status: Int32; var stdout: String; var stderr: String }

    private func run(_ tool: String, _ args: [String], environment: [String: String]? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        if let environment { p.environment = environment }
        // stderr goes to a file, so only one pipe has to be drained.
        let errPath = try writeTemp("")
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let out = Pipe()
        p.standardOutput = out
        p.standardError = errHandle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try errHandle.close()
        let stderrData = FileManager.default.contents(atPath: errPath) ?? Data()
        return Output(status: p.terminationStatus,
                      stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }

    private func debug(_ s: String) -> String { String(reflecting: s) }
}

/// SplitMix64: a tiny, seeded, reproducible generator.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }
}
