import Foundation
import XCTest
@testable import PkgfsFormats

/// Helpers shared by the Payload* and Deb* tests: temp dirs, running the reference
/// tools (dpkg-deb, rpmbuild, rpm, cpio, tar, zip), parsing `ls -l`-style listings, and
/// writing hand-made tar archives for hostile cases.

struct ToolFailure: Error, CustomStringConvertible {
    let description: String
}

/// Fails (does not skip) when a reference tool is missing.
func requireTools(_ names: String...) throws {
    let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    for name in names {
        let found = dirs.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
        if !found {
            throw ToolFailure(description: "\(name) is not installed: run scripts/setup (the Formats tests compare against it)")
        }
    }
}

final class TempDir {
    let path: String
    init() throws {
        let base = NSTemporaryDirectory() + "pkgfs-formats-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func sub(_ name: String) -> String { path + "/" + name }
}

/// Runs a shell script; returns stdout; throws with stderr when it exits non-zero.
@discardableResult
func sh(_ script: String, cwd: String? = nil) throws -> String {
    let out = try Data(runCapturing(["/bin/sh", "-c", script], cwd: cwd))
    return String(decoding: out, as: UTF8.self)
}

func runCapturing(_ argv: [String], cwd: String?) throws -> [UInt8] {
    let tmp = NSTemporaryDirectory() + "pkgfs-run-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: tmp + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: tmp + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: tmp + ".out")
        try? FileManager.default.removeItem(atPath: tmp + ".err")
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let outH = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp + ".out"))
    let errH = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp + ".err"))
    p.standardOutput = outH
    p.standardError = errH
    p.standardInput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    try outH.close()
    try errH.close()
    let out = try [UInt8](Data(contentsOf: URL(fileURLWithPath: tmp + ".out")))
    if p.terminationStatus != 0 {
        let err = (try? String(contentsOfFile: tmp + ".err", encoding: .utf8)) ?? ""
        throw ToolFailure(description: "\(argv.joined(separator: " ")) exited \(p.terminationStatus): \(err.suffix(2000))")
    }
    return out
}

func readFile(_ path: String) throws -> [UInt8] {
    try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Deterministic pseudo-random bytes (xorshift), incompressible enough for tests.
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var s = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        var v = s
        for _ in 0..<8 where i < count {
            out[i] = UInt8(truncatingIfNeeded: v)
            v >>= 8
            i += 1
        }
    }
    return out
}

func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// One line of an `ls -l`-style listing (`tar -tv`, `dpkg-deb -c`, `rpm -qplv`).
struct ListedEntry: Equatable, CustomStringConvertible {
    var path: String
    var mode: String
    var size: Int64
    var link: String?
    var description: String { "\(mode) \(size) \(path)" + (link.map { " -> \($0)" } ?? "") }
}

/// Parses GNU `tar -tv` / `dpkg-deb -c` lines:
/// `drwxr-xr-x root/root 0 2024-01-01 00:00 ./usr/` (also `... link to X`, `... -> X`).
func parseTarListing(_ text: String) -> [ListedEntry] {
    text.split(separator: "\n").map { line in
        let f = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        let mode = String(f[0])
        var rest = String(f[5])
        var link: String?
        if mode.hasPrefix("l"), let r = rest.range(of: " -> ") {
            link = String(rest[r.upperBound...]); rest = String(rest[..<r.lowerBound])
        } else if mode.hasPrefix("h"), let r = rest.range(of: " link to ") {
            link = String(rest[r.upperBound...]); rest = String(rest[..<r.lowerBound])
        }
        return ListedEntry(path: normalized(rest), mode: mode, size: Int64(f[2]) ?? -1,
                           link: link.map { mode.hasPrefix("h") ? normalized($0) : $0 })
    }.filter { !$0.path.isEmpty }
}

/// Parses `rpm -qplv` lines: `-rwxr-xr-x 1 root root 18 Nov 25 18:22 /usr/bin/tool`.
func parseRpmListing(_ text: String) -> [ListedEntry] {
    text.split(separator: "\n").map { line in
        let f = line.split(separator: " ", maxSplits: 8, omittingEmptySubsequences: true)
        let mode = String(f[0])
        var rest = String(f[8])
        var link: String?
        if mode.hasPrefix("l"), let r = rest.range(of: " -> ") {
            link = String(rest[r.upperBound...]); rest = String(rest[..<r.lowerBound])
        }
        return ListedEntry(path: normalized(rest), mode: mode, size: Int64(f[4]) ?? -1, link: link)
    }
}

func normalized(_ p: String) -> String {
    var s = Substring(p)
    while s.hasPrefix("./") { s = s.dropFirst(2) }
    while s.hasPrefix("/") { s = s.dropFirst() }
    while s.hasSuffix("/") { s = s.dropLast() }
    return s == "." ? "" : String(s)
}

/// `ls -l` mode string of an entry ('h' for a hard link, as tar prints it).
func modeString(_ e: PayloadEntry) -> String {
    let type: Character
    switch e.kind {
    case .file: type = "-"
    case .directory: type = "d"
    case .symlink: type = "l"
    case .hardlink: type = "h"
    case .other:
        switch e.mode & 0o170000 {
        case 0o020000: type = "c"
        case 0o060000: type = "b"
        case 0o010000: type = "p"
        case 0o140000: type = "s"
        default: type = "?"
        }
    }
    let m = e.mode
    func bit(_ b: UInt32, _ c: Character) -> Character { m & b != 0 ? c : "-" }
    func special(_ exec: UInt32, _ sbit: UInt32, _ set: Character) -> Character {
        switch (m & exec != 0, m & sbit != 0) {
        case (true, true): return set
        case (false, true): return Character(set.uppercased())
        case (true, false): return "x"
        case (false, false): return "-"
        }
    }
    return String([type, bit(0o400, "r"), bit(0o200, "w"), special(0o100, 0o4000, "s"),
                   bit(0o040, "r"), bit(0o020, "w"), special(0o010, 0o2000, "s"),
                   bit(0o004, "r"), bit(0o002, "w"), special(0o001, 0o1000, "t")])
}

/// The archive's own entries (not synthesized parents), by path.
func realEntries(_ list: [PayloadEntry]) -> [String: PayloadEntry] {
    Dictionary(list.filter { $0.archiveIndex != nil }.map { ($0.path, $0) }, uniquingKeysWith: { $1 })
}

/// Checks that a listing is a complete tree: unique paths, every parent present as a directory.
func assertCompleteTree(_ list: [PayloadEntry], file: StaticString = #filePath, line: UInt = #line) {
    var byPath: [String: PayloadEntry] = [:]
    for e in list {
        XCTAssertNil(byPath[e.path], "duplicate \(e.path)", file: file, line: line)
        byPath[e.path] = e
    }
    for e in list {
        for dir in PayloadPath.ancestors(of: e.path) {
            XCTAssertEqual(byPath[dir]?.kind, .directory, "parent \(dir) of \(e.path)", file: file, line: line)
        }
    }
}

/// Reads an entry through `reader` in `chunk`-sized sequential reads.
func readSequentially(_ reader: PayloadReader, _ entry: PayloadEntry, chunk: Int) throws -> [UInt8] {
    var out: [UInt8] = []
    var offset: Int64 = 0
    while true {
        let part = try reader.read(entry, offset: offset, length: chunk)
        if part.isEmpty { break }
        out += part
        offset += Int64(part.count)
    }
    return out
}

/// Hand-made ustar archives for cases real tools refuse to write.
struct TarWriter {
    enum Kind: UInt8 { case file = 0x30, hardlink = 0x31, symlink = 0x32, directory = 0x35 }
    private(set) var bytes: [UInt8] = []

    mutating func add(_ name: String, kind: Kind = .file, data: [UInt8] = [], link: String = "",
                      mode: Int = 0o644, declaredSize: Int? = nil) {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ at: Int, _ len: Int) {
            for (i, b) in s.utf8.prefix(len).enumerated() { h[at + i] = b }
        }
        func octal(_ v: Int, _ at: Int, _ len: Int) {
            put(String(repeating: "0", count: max(0, len - 1 - String(v, radix: 8).count)) + String(v, radix: 8), at, len - 1)
        }
        put(name, 0, 100)
        octal(mode, 100, 8)
        octal(0, 108, 8)
        octal(0, 116, 8)
        octal(declaredSize ?? data.count, 124, 12)
        octal(1_700_000_000, 136, 12)
        h[156] = kind.rawValue
        put(link, 157, 100)
        put("ustar", 257, 6)
        put("00", 263, 2)
        put("root", 265, 32)
        put("root", 297, 32)
        for i in 148..<156 { h[i] = 0x20 }
        let sum = h.reduce(0) { $0 + Int($1) }
        put(String(repeating: "0", count: 6 - String(sum, radix: 8).count) + String(sum, radix: 8), 148, 6)
        h[154] = 0
        bytes += h
        bytes += data
        if data.count % 512 != 0 { bytes += [UInt8](repeating: 0, count: 512 - data.count % 512) }
    }

    func finished() -> [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }
}

extension XCTestCase {
    /// Asserts that `body` throws a `FormatError` and hands it over for more checks.
    func assertFormatError<T>(_ body: @autoclosure () throws -> T, _ message: String = "",
                              file: StaticString = #filePath, line: UInt = #line,
                              _ check: (FormatError) -> Void = { _ in }) {
        do {
            _ = try body()
            XCTFail("expected a FormatError \(message)", file: file, line: line)
        } catch let e as FormatError {
            check(e)
        } catch {
            XCTFail("expected a FormatError, got \(error) \(message)", file: file, line: line)
        }
    }
}
