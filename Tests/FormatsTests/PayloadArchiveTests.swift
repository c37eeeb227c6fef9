import Foundation
import XCTest
@testable import PkgfsFormats

/// tar (plain, gzip, xz, bzip2, zstd) and zip payloads made by the real tools, compared
/// with `tar -tv` / `zipinfo` listings and with what `tar -x` / `unzip` extract.
final class PayloadArchiveTests: XCTestCase {
    var tmp: TempDir!
    var big: [UInt8] = []

    override func setUpWithError() throws {
        try requireTools("tar", "gzip", "xz", "bzip2", "zstd", "zip", "unzip", "zipinfo")
        tmp = try TempDir()
        let tree = tmp.sub("tree")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try sh("""
            set -e
            mkdir -p top/bin top/share/doc top/empty-dir
            printf '#!/bin/sh\\necho tool\\n' > top/bin/tool
            chmod 0755 top/bin/tool
            ln -s tool top/bin/tool-link
            ln -s ../share/doc top/bin/doc-link
            ln top/bin/tool top/bin/tool-hard
            printf 'doc\\n' > 'top/share/doc/read me.txt'
            : > top/share/empty
            printf 'x\\n' > top/share/private
            chmod 0640 top/share/private
            touch -d '2020-02-03 04:05:06 UTC' top/share/private
            """, cwd: tree)
        big = pseudoRandomBytes(4 * 1024 * 1024 + 777, seed: 7)
        try write(big, to: tree + "/top/share/big.bin")
    }

    override func tearDown() { tmp = nil }

    func testPlainTar() throws { try checkTar("cf", "t.tar") }
    func testGzipTar() throws { try checkTar("czf", "t.tar.gz") }
    func testXzTar() throws { try checkTar("cJf", "t.tar.xz") }
    func testBzip2Tar() throws { try checkTar("cjf", "t.tar.bz2") }
    func testZstdTar() throws { try checkTar("--zstd -cf", "t.tar.zst") }
    /// Paths without "./" and with parent directories missing from the archive.
    func testTarWithoutDirectoryEntries() throws {
        try sh("tar cf ../nodirs.tar --no-recursion top/bin/tool top/share/doc/'read me.txt' top/share/big.bin",
               cwd: tmp.sub("tree"))
        let list = try listPayload(path: tmp.sub("nodirs.tar"), container: .tar, limits: .default)
        assertCompleteTree(list)
        XCTAssertEqual(list.map(\.path), ["top", "top/bin", "top/bin/tool", "top/share", "top/share/doc",
                                          "top/share/doc/read me.txt", "top/share/big.bin"])
        XCTAssertEqual(list.filter { $0.archiveIndex == nil }.map(\.path), ["top", "top/bin", "top/share", "top/share/doc"])
        XCTAssertEqual(list[0].mode, 0o40755)
        let reader = try PayloadReader(path: tmp.sub("nodirs.tar"), container: .tar)
        XCTAssertEqual(try reader.readAll(list[6]), big)
    }

    private func checkTar(_ flags: String, _ name: String) throws {
        let archive = tmp.sub(name)
        try sh("tar \(flags) \(archive) ./top", cwd: tmp.sub("tree"))
        let list = try listPayload(path: archive, container: .tar, limits: .default)
        assertCompleteTree(list)
        let reference = parseTarListing(try sh("tar tvf \(archive)"))
        let mine = realEntries(list)
        XCTAssertEqual(Set(mine.keys), Set(reference.map(\.path)))
        XCTAssertEqual(list.count, reference.count)
        for ref in reference {
            guard let e = mine[ref.path] else { XCTFail("missing \(ref.path)"); continue }
            XCTAssertEqual(modeString(e), ref.mode, ref.path)
            XCTAssertEqual(e.kind == .hardlink ? 0 : e.size, ref.size, ref.path)
            XCTAssertEqual(e.linkTarget, ref.link, ref.path)
        }
        XCTAssertEqual(mine["top/share/private"]?.mtime, 1_580_702_706)
        XCTAssertEqual(mine["top/bin/tool-hard"]?.linkTarget, "top/bin/tool")
        try compareWithExtraction(list, archive: archive, container: .tar, extract: "tar xf")
    }

    func testZip() throws {
        let archive = tmp.sub("t.zip")
        try sh("zip -qry \(archive) top", cwd: tmp.sub("tree"))
        let list = try listPayload(path: archive, container: .zip, limits: .default)
        assertCompleteTree(list)
        // zipinfo: "-rw-r--r--  3.0 unx  12 tx defN 24-Jan-01 00:00 top/x"
        let info = try sh("zipinfo -l \(archive)").split(separator: "\n").filter {
            $0.first.map { "-dl".contains($0) } ?? false
        }
        let mine = realEntries(list)
        XCTAssertEqual(Set(mine.keys), Set(info.map { normalized(String($0.split(separator: " ", maxSplits: 9, omittingEmptySubsequences: true)[9])) }))
        for line in info {
            let f = line.split(separator: " ", maxSplits: 9, omittingEmptySubsequences: true)
            let path = normalized(String(f[9]))
            guard let e = mine[path] else { XCTFail("missing \(path)"); continue }
            XCTAssertEqual(modeString(e), String(f[0]), path)
            if e.kind == .file { XCTAssertEqual(String(e.size), String(f[3]), path) }
        }
        // zip stores the hard link as a second copy.
        XCTAssertEqual(mine["top/bin/tool-hard"]?.kind, .file)
        try compareWithExtraction(list, archive: archive, container: .zip, extract: "unzip -q")
    }

    private func compareWithExtraction(_ list: [PayloadEntry], archive: String, container: PayloadContainer,
                                       extract: String) throws {
        let x = tmp.sub("x-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: x, withIntermediateDirectories: true)
        try sh("\(extract) \(archive)", cwd: x)
        let reader = try PayloadReader(path: archive, container: container)
        var files = 0
        for e in list {
            let path = x + "/" + e.path
            switch e.kind {
            case .file, .hardlink:
                files += 1
                XCTAssertEqual(try reader.readAll(e), try readFile(path), e.path)
                let attrs = try FileManager.default.attributesOfItem(atPath: path)
                XCTAssertEqual(Int64((attrs[.modificationDate] as! Date).timeIntervalSince1970), e.mtime, e.path)
                XCTAssertEqual((attrs[.posixPermissions] as! NSNumber).uint32Value, e.permissions, e.path)
            case .symlink:
                XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path), e.linkTarget, e.path)
            case .directory:
                var isDir: ObjCBool = false
                XCTAssertTrue(FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue, e.path)
            case .other:
                XCTFail("unexpected \(e.path)")
            }
        }
        XCTAssertEqual(files, 6)
        let bigEntry = try XCTUnwrap(list.first { $0.path == "top/share/big.bin" })
        XCTAssertEqual(try readSequentially(reader, bigEntry, chunk: 128 * 1024), big)
    }
}
