import Foundation
import XCTest
@testable import PkgfsFormats

/// Hostile payloads: path traversal, absolute paths, links that lead outside, truncated
/// archives, garbage, limits and decompression bombs. Each must end in a precise
/// `FormatError`, never a crash or a partial listing.
final class PayloadHostileTests: XCTestCase {
    var tmp: TempDir!

    override func setUpWithError() throws {
        try requireTools("tar", "gzip", "zip", "truncate")
        tmp = try TempDir()
    }

    override func tearDown() { tmp = nil }

    private func tar(_ name: String, _ build: (inout TarWriter) -> Void) throws -> String {
        var w = TarWriter()
        build(&w)
        let path = tmp.sub(name)
        try write(w.finished(), to: path)
        return path
    }

    private func assertInvalid(_ path: String, _ container: PayloadContainer = .tar, contains text: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        assertFormatError(try listPayload(path: path, container: container), file: file, line: line) { e in
            guard case .invalid = e else { return XCTFail("\(e)", file: file, line: line) }
            XCTAssertTrue(e.description.contains(text), "\(e.description) lacks \(text)", file: file, line: line)
        }
    }

    func testHandMadeTarIsListed() throws {
        let ok = try tar("ok.tar") { w in
            w.add("./a/", kind: .directory, mode: 0o755)
            w.add("./a/file", data: Array("hello".utf8))
            w.add("./a/file", data: Array("replaced".utf8))  // later wins, as with tar -x
            w.add("./a/link", kind: .hardlink, link: "./a/file")
            w.add("./b//c/./d", data: [1])
        }
        let list = try listPayload(path: ok, container: .tar)
        assertCompleteTree(list)
        XCTAssertEqual(list.map(\.path), ["a", "a/file", "a/link", "b", "b/c", "b/c/d"])
        let reader = try PayloadReader(path: ok, container: .tar)
        XCTAssertEqual(try reader.readAll(list[1]), Array("replaced".utf8))
        XCTAssertEqual(list[2].dataIndex, 2)
        XCTAssertEqual(try reader.readAll(list[2]), Array("replaced".utf8))
    }

    /// Member names whose bytes are not UTF-8 (a Latin-1 tarball): each stays its own entry,
    /// and a symlink naming one still names it (repairing to U+FFFD merged `a\xff` and `a\xfe`).
    func testMemberNamesThatAreNotUTF8StayApart() throws {
        // /bin/sh is dash (no $'…'): the names come from printf's octal escapes (\377 = 0xff).
        _ = try sh(#"""
            mkdir odd && cd odd && printf ff > "$(printf 'a\377')" && printf fe > "$(printf 'a\376')" \
              && printf u > "$(printf '\303\251')" && printf cut > "$(printf 'b\303')" \
              && ln -s "$(printf 'a\377')" l && tar cf ../odd.tar *
            """#, cwd: tmp.path)
        let list = try listPayload(path: tmp.sub("odd.tar"), container: .tar)
        XCTAssertEqual(Set(list.map(\.path)), ["a\u{EFFF}", "a\u{EFFE}", "\u{E9}", "b\u{EFC3}", "l"])
        let reader = try PayloadReader(path: tmp.sub("odd.tar"), container: .tar)
        for (path, bytes) in [("a\u{EFFF}", "ff"), ("a\u{EFFE}", "fe"), ("\u{E9}", "u"), ("b\u{EFC3}", "cut")] {
            let entry = try XCTUnwrap(list.first { $0.path == path }, path)
            XCTAssertEqual(try reader.readAll(entry), Array(bytes.utf8), path)
        }
        XCTAssertEqual(list.first { $0.path == "l" }?.linkTarget, "a\u{EFFF}")
        XCTAssertEqual(PayloadHeader.keepingBytes([0x61, 0xE2, 0x82, 0xAC, 0xE2, 0x82, 0xC0, 0xC0, 0xAF]),
                       "a\u{20AC}\u{EFE2}\u{EF82}\u{EFC0}\u{EFC0}\u{EFAF}", "overlong and cut sequences byte by byte")
    }

    func testTraversalAndAbsolutePaths() throws {
        assertInvalid(try tar("up.tar") { $0.add("../escape", data: [1]) }, contains: "'../escape' escapes")
        assertInvalid(try tar("mid.tar") { $0.add("a/../../b", data: [1]) }, contains: "escapes")
        assertInvalid(try tar("dots.tar") { $0.add("ok", data: [1]); $0.add("x/..", kind: .directory) },
                      contains: "entry #1")
        assertInvalid(try tar("abs.tar") { $0.add("/abs/file", data: [1]) }, contains: "absolute path '/abs/file'")
        assertInvalid(try tar("hl.tar") { $0.add("h", kind: .hardlink, link: "../../etc/passwd") }, contains: "escapes")
        assertInvalid(try tar("hl2.tar") { $0.add("h", kind: .hardlink, link: "/etc/passwd") }, contains: "absolute")
        assertInvalid(try tar("dangling.tar") { $0.add("h", kind: .hardlink, link: "nothing") },
                      contains: "not an earlier entry")
        assertInvalid(try tar("hl-dir.tar") { $0.add("d", kind: .directory); $0.add("h", kind: .hardlink, link: "d") },
                      contains: "which is a directory")
        // Through a symlink: link -> /etc, then link/passwd.
        assertInvalid(try tar("via-link.tar") { w in
            w.add("link", kind: .symlink, link: "/etc")
            w.add("link/passwd", data: Array("root::0:0".utf8))
        }, contains: "lies below 'link', which is a symlink")
        assertInvalid(try tar("below-file.tar") { w in
            w.add("f", data: [1])
            w.add("f/g", data: [2])
        }, contains: "which is a file")
        assertInvalid(try tar("replace-dir.tar") { w in
            w.add("d/x", data: [1])
            w.add("d", data: [2])
        }, contains: "non-empty directory")
        // A symlink's target may point anywhere: it is recorded, not followed.
        let links = try listPayload(path: try tar("symlinks.tar") { $0.add("l", kind: .symlink, link: "../../etc/passwd") },
                                    container: .tar)
        XCTAssertEqual(links.first?.linkTarget, "../../etc/passwd")

        // GNU tar with --absolute-names.
        let file = tmp.sub("victim")
        try write([1, 2, 3], to: file)
        try sh("tar --absolute-names -cf \(tmp.sub("gnu-abs.tar")) \(file) 2>/dev/null")
        assertInvalid(tmp.sub("gnu-abs.tar"), contains: "absolute path '\(file)'")
    }

    func testTruncatedArchives() throws {
        let tree = tmp.sub("tree")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        for i in 0..<5 { try write(pseudoRandomBytes(50_000 + i, seed: UInt64(i + 9)), to: "\(tree)/f\(i)") }
        try sh("tar czf ../t.tgz . && tar cf ../t.tar . && zip -qr ../t.zip .", cwd: tree)
        for (name, container) in [("t.tgz", PayloadContainer.tar), ("t.tar", .tar), ("t.zip", .zip)] {
            let full = try readFile(tmp.sub(name))
            let fullList = try listPayload(path: tmp.sub(name), container: container)
            let fullReader = try PayloadReader(path: tmp.sub(name), container: container)
            let fullBytes = try fullList.filter(\.hasData).map { try fullReader.readAll($0) }
            var errors = 0
            let cuts = [0, 1, 10, 100, 511, 512, 513, 1000, full.count / 3, full.count / 2, full.count - 30, full.count - 1]
            for cut in cuts {
                let path = tmp.sub("cut-\(cut)-\(name)")
                try write(Array(full.prefix(cut)), to: path)
                // Either a FormatError (listing or reading), or a consistent prefix: a
                // plain tar cut exactly between two members reads as a shorter tar (GNU tar
                // accepts it too), trailing padding or a zip's central directory may be
                // missing without loss.
                do {
                    let list = try listPayload(path: path, container: container)
                    let reader = try PayloadReader(path: path, container: container)
                    let bytes = try list.filter(\.hasData).map { try reader.readAll($0) }
                    XCTAssertTrue(fullList.map(\.path).starts(with: list.map(\.path)), "\(name) cut at \(cut)")
                    XCTAssertTrue(fullBytes.starts(with: bytes), "\(name) cut at \(cut)")
                } catch is FormatError {
                    errors += 1
                } catch {
                    XCTFail("\(name) cut at \(cut): \(error)")
                }
            }
            XCTAssertGreaterThanOrEqual(errors, cuts.count - 3, name)
        }
    }

    func testGarbageAndWrongContainer() throws {
        try write(pseudoRandomBytes(10_000, seed: 5), to: tmp.sub("junk"))
        try write([], to: tmp.sub("empty"))
        for c in [PayloadContainer.tar, .zip, .rpm] {
            assertInvalid(tmp.sub("junk"), c, contains: "Unrecognized archive format")
            assertFormatError(try listPayload(path: tmp.sub("empty"), container: c), "\(c)")
        }
        assertFormatError(try listPayload(path: tmp.sub("junk"), container: .debData)) { e in
            guard case .badMagic = e else { return XCTFail("\(e)") }
        }
        assertFormatError(try listPayload(path: tmp.sub("missing"), container: .tar)) { e in
            guard case .io(_, let errno) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(errno, ENOENT)
        }
        assertFormatError(try PayloadReader(path: tmp.sub("junk"), container: .debData))
    }

    func testEntryCountAndPathLimits() throws {
        let many = try tar("many.tar") { w in for i in 0..<20 { w.add("f\(i)", data: [UInt8(i)]) } }
        XCTAssertEqual(try listPayload(path: many, container: .tar, limits: PayloadLimits(maxEntries: 20)).count, 20)
        assertFormatError(try listPayload(path: many, container: .tar, limits: PayloadLimits(maxEntries: 10))) { e in
            XCTAssertEqual(e, .limitExceeded(what: "number of entries in the tar payload", limit: 10))
        }
        let sizes = try tar("sizes.tar") { w in for i in 0..<4 { w.add("f\(i)", data: [UInt8](repeating: 1, count: 1000)) } }
        assertFormatError(try listPayload(path: sizes, container: .tar, limits: PayloadLimits(maxTotalSize: 3999))) { e in
            XCTAssertEqual(e, .limitExceeded(what: "total declared size of the tar payload", limit: 3999))
        }
        XCTAssertEqual(try listPayload(path: sizes, container: .tar, limits: PayloadLimits(maxTotalSize: 4000)).count, 4)
        let deep = try tar("deep.tar") { $0.add(String(repeating: "a/", count: 40) + "f", data: [1]) }
        assertFormatError(try listPayload(path: deep, container: .tar, limits: PayloadLimits(maxPathLength: 50))) { e in
            guard case .limitExceeded(_, 50) = e else { return XCTFail("\(e)") }
        }
    }

    /// 200 MiB of zeros compress to ~200 KiB: the declared size is checked before any
    /// data is decompressed.
    func testZerosBombAgainstSizeLimit() throws {
        try sh("truncate -s 200M zeros.bin && tar cf - zeros.bin | gzip -1 > bomb.tgz && rm zeros.bin", cwd: tmp.path)
        let limits = PayloadLimits(maxTotalSize: 100 << 20)
        assertFormatError(try listPayload(path: tmp.sub("bomb.tgz"), container: .tar, limits: limits)) { e in
            XCTAssertEqual(e, .limitExceeded(what: "total declared size of the tar payload", limit: 100 << 20))
        }
    }

    /// A zip entry whose headers claim 1 MiB but which inflates to 200 MiB: the reader
    /// stops with limitExceeded once the declared size is passed.
    func testZipLyingAboutItsSize() throws {
        try sh("truncate -s 200M zeros.bin && zip -q bomb.zip zeros.bin && rm zeros.bin", cwd: tmp.path)
        var z = try readFile(tmp.sub("bomb.zip"))
        let declared: UInt32 = 1 << 20
        func put32(_ v: UInt32, _ at: Int) { for i in 0..<4 { z[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
        XCTAssertEqual(Array(z[0..<4]), [0x50, 0x4B, 0x03, 0x04])
        put32(declared, 22)  // local header: uncompressed size
        let central = try XCTUnwrap((0..<(z.count - 4)).last { z[$0] == 0x50 && z[$0 + 1] == 0x4B && z[$0 + 2] == 1 && z[$0 + 3] == 2 })
        put32(declared, central + 24)  // central directory: uncompressed size
        try write(z, to: tmp.sub("liar.zip"))

        let list = try listPayload(path: tmp.sub("liar.zip"), container: .zip)
        let e = try XCTUnwrap(list.first)
        XCTAssertEqual(e.size, Int64(declared))
        let reader = try PayloadReader(path: tmp.sub("liar.zip"), container: .zip)
        assertFormatError(try readSequentially(reader, e, chunk: 128 * 1024)) { err in
            guard case .limitExceeded(_, let limit) = err else { return XCTFail("\(err)") }
            XCTAssertEqual(limit, Int(declared))
        }
    }
}
