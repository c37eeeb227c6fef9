import Foundation
import XCTest
@testable import PkgfsFormats
import PkgfsModel

/// Builds real .deb files with `dpkg-deb --build` (default compression, xz, gzip, zstd,
/// none) and compares `DebPackage.parse` with `dpkg-deb -f`, `ar t`, the control files
/// written, `listPayload(.debData)` with `dpkg-deb -c`, and bytes read through
/// `PayloadReader` with `dpkg-deb -x`.
final class DebPackageTests: XCTestCase {
    static let control = """
        Package: pkgfs-hello
        Version: 2:1.4~rc1-0ubuntu1
        Architecture: amd64
        Maintainer: Jane Doe <jane@example.org>
        Installed-Size: 5020
        Pre-Depends: libc6 (>= 2.34)
        Depends: libfoo1 (>= 1.0) | libfoo2,
         libbar (<< 3:2.0~)
        Recommends: pkgfs-extra
        Suggests: pkgfs-doc (>= 1.4~)
        Conflicts: pkgfs-old
        Breaks: pkgfs-old (<< 1.0)
        Provides: hello-world (= 1.4)
        Replaces: pkgfs-old
        Section: utils
        Priority: optional
        Homepage: https://example.org/hello
        Multi-Arch: foreign
        Source: pkgfs-src (1.4~rc1-0ubuntu1)
        Essential: no
        X-Pkgfs-Custom: custom value
        Description: greets the world
         A longer description
         .
         with an empty line.

        """

    /// Relation fields, which `dpkg-deb -f pkg Field` prints folded on one line.
    static let relationFields: Set<String> = ["depends", "pre-depends", "recommends", "suggests",
                                              "conflicts", "breaks", "provides", "replaces", "enhances"]

    var tmp: TempDir!
    var bigFile: [UInt8] = []

    override func setUpWithError() throws {
        try requireTools("dpkg-deb", "ar", "md5sum")
        tmp = try TempDir()
        let root = tmp.sub("root")
        try sh("""
            set -e
            mkdir -p DEBIAN usr/bin usr/share/doc/pkgfs-hello usr/share/pkgfs-hello usr/lib/pkgfs-hello/empty etc
            chmod 0755 DEBIAN
            printf '#!/bin/sh\\necho hello\\n' > usr/bin/hello
            chmod 0755 usr/bin/hello
            ln usr/bin/hello usr/bin/hello2
            ln -s hello usr/bin/hi
            ln -s /etc/pkgfs-hello.conf usr/share/pkgfs-hello/conf-link
            printf 'readme\\n' > usr/share/doc/pkgfs-hello/README
            printf 'spaces\\n' > 'usr/share/pkgfs-hello/with space.txt'
            : > usr/share/pkgfs-hello/empty-file
            printf 'key=value\\n' > etc/pkgfs-hello.conf
            printf 'secret\\n' > usr/share/pkgfs-hello/private
            chmod 0600 usr/share/pkgfs-hello/private
            printf '#!/bin/sh\\nexit 0\\n' > DEBIAN/postinst
            chmod 0755 DEBIAN/postinst
            printf '/etc/pkgfs-hello.conf\\n' > DEBIAN/conffiles
            """, cwd: try mkdir(root))
        bigFile = pseudoRandomBytes(3 * 1024 * 1024 + 12345, seed: 42)
        try write(bigFile, to: root + "/usr/share/pkgfs-hello/big.bin")
        try Self.control.write(toFile: root + "/DEBIAN/control", atomically: true, encoding: .utf8)
        try sh("find usr etc -type f -exec md5sum {} + | sort -k2 > DEBIAN/md5sums", cwd: root)
    }

    override func tearDown() { tmp = nil }

    private func mkdir(_ path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func build(_ option: String?, name: String) throws -> String {
        let out = tmp.sub(name)
        try sh("dpkg-deb --root-owner-group \(option ?? "") --build root \(out) >/dev/null", cwd: tmp.path)
        return out
    }

    func testDefaultCompression() throws { try check(option: nil, expect: nil) }
    func testXz() throws { try check(option: "-Zxz", expect: .xz) }
    func testGzip() throws { try check(option: "-Zgzip", expect: .gzip) }
    func testZstd() throws { try check(option: "-Zzstd", expect: .zstd) }
    func testNone() throws { try check(option: "-Znone", expect: DebCompression.none) }

    private func check(option: String?, expect: DebCompression?) throws {
        let deb = try build(option, name: "pkg.deb")
        let pkg = try DebPackage.parse(path: deb)

        // ar members and their compression.
        let members = try sh("ar t \(deb)").split(separator: "\n").map(String.init)
        XCTAssertEqual(members, ["debian-binary", pkg.controlMember, pkg.dataMember])
        XCTAssertEqual(pkg.formatVersion, "2.0")
        if let expect { XCTAssertEqual(pkg.dataCompression, expect) }
        XCTAssertEqual(DebCompression(member: pkg.dataMember, prefix: "data.tar"), pkg.dataCompression)
        XCTAssertEqual(DebCompression(member: pkg.controlMember, prefix: "control.tar"), pkg.controlCompression)

        // Every field, verbatim and in order, as the whole control file dpkg-deb prints...
        let all = try sh("dpkg-deb -f \(deb)")
        let rebuilt = pkg.fieldOrder.map { "\($0): \(pkg.fields[$0]!)\n" }.joined()
        XCTAssertEqual(rebuilt, all)
        XCTAssertEqual(pkg.fieldOrder.count, 21)
        // ...and each field alone (dpkg folds relation fields).
        for name in pkg.fieldOrder {
            let dpkg = try sh("dpkg-deb -f \(deb) \(name)")
            let mine = Self.relationFields.contains(name.lowercased())
                ? pkg.fields[name]!.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
                : pkg.fields[name]!
            XCTAssertEqual(mine + "\n", dpkg, name)
            XCTAssertEqual(pkg.field(name.uppercased()), pkg.fields[name])
        }

        // Typed properties.
        XCTAssertEqual(pkg.package, "pkgfs-hello")
        XCTAssertEqual(pkg.version, "2:1.4~rc1-0ubuntu1")
        XCTAssertEqual(pkg.epoch, 2)
        XCTAssertEqual(pkg.upstreamVersion, "1.4~rc1")
        XCTAssertEqual(pkg.revision, "0ubuntu1")
        XCTAssertEqual(pkg.architecture, "amd64")
        XCTAssertEqual(pkg.maintainer, "Jane Doe <jane@example.org>")
        XCTAssertEqual(pkg.installedSize, 5020)
        XCTAssertEqual(pkg.preDepends, try sh("dpkg-deb -f \(deb) Pre-Depends").trimmingCharacters(in: .newlines))
        XCTAssertEqual(pkg.depends, "libfoo1 (>= 1.0) | libfoo2, libbar (<< 3:2.0~)")
        XCTAssertEqual(pkg.depends, try sh("dpkg-deb -f \(deb) Depends").trimmingCharacters(in: .newlines))
        XCTAssertEqual(pkg.recommends, "pkgfs-extra")
        XCTAssertEqual(pkg.suggests, "pkgfs-doc (>= 1.4~)")
        XCTAssertEqual(pkg.conflicts, "pkgfs-old")
        XCTAssertEqual(pkg.breaks, "pkgfs-old (<< 1.0)")
        XCTAssertEqual(pkg.provides, "hello-world (= 1.4)")
        XCTAssertEqual(pkg.replaces, "pkgfs-old")
        XCTAssertEqual(pkg.section, "utils")
        XCTAssertEqual(pkg.priority, "optional")
        XCTAssertEqual(pkg.homepage, "https://example.org/hello")
        XCTAssertEqual(pkg.multiArch, "foreign")
        XCTAssertEqual(pkg.source, "pkgfs-src (1.4~rc1-0ubuntu1)")
        XCTAssertFalse(pkg.essential)
        XCTAssertEqual(pkg.synopsis, "greets the world")
        XCTAssertEqual(pkg.longDescription, "A longer description\n\nwith an empty line.")
        XCTAssertEqual(pkg.fields["X-Pkgfs-Custom"], "custom value")

        // control.tar contents.
        XCTAssertEqual(pkg.conffiles, ["/etc/pkgfs-hello.conf"])
        var md5: [String: String] = [:]
        for line in try sh("cat root/DEBIAN/md5sums", cwd: tmp.path).split(separator: "\n") {
            md5[String(line.dropFirst(34))] = String(line.prefix(32))
        }
        XCTAssertEqual(pkg.md5sums, md5)
        XCTAssertEqual(md5.count, 8)
        XCTAssertEqual(Set(pkg.controlFiles), ["control", "conffiles", "md5sums", "postinst"])

        // The data.tar range matches ar's view of the member.
        let dataBytes = try FileBytes(path: deb).read(at: pkg.dataOffset, length: pkg.dataSize)
        try sh("ar p \(deb) \(pkg.dataMember) > data.member", cwd: tmp.path)
        XCTAssertEqual(dataBytes, try readFile(tmp.sub("data.member")))

        try checkListingAndReads(deb)

        // Codable round trip.
        let decoded = try JSONDecoder().decode(DebPackage.self, from: JSONEncoder().encode(pkg))
        XCTAssertEqual(decoded, pkg)
        // The compact encoder the catalog stores format details with reads back the same.
        let compact = try JSONDecoder().decode(DebPackage.self, from: Data(CompactJSONEncoder.encode(pkg).utf8))
        XCTAssertEqual(compact, pkg)
    }

    private func checkListingAndReads(_ deb: String) throws {
        let list = try listPayload(path: deb, container: .debData, limits: .default)
        assertCompleteTree(list)
        let reference = parseTarListing(try sh("dpkg-deb -c \(deb)"))
        let mine = realEntries(list)
        XCTAssertEqual(Set(mine.keys), Set(reference.map(\.path)))
        for ref in reference {
            guard let e = mine[ref.path] else { XCTFail("missing \(ref.path)"); continue }
            XCTAssertEqual(modeString(e), ref.mode, ref.path)
            XCTAssertEqual(e.kind == .hardlink ? 0 : e.size, ref.size, ref.path)
            XCTAssertEqual(e.linkTarget, ref.link, ref.path)
            XCTAssertEqual(e.userName, "root")
            XCTAssertEqual(e.groupName, "root")
        }
        XCTAssertEqual(mine["usr/bin/hello2"]?.kind, .hardlink)
        XCTAssertEqual(mine["usr/bin/hello2"]?.size, mine["usr/bin/hello"]?.size)
        XCTAssertEqual(mine["usr/lib/pkgfs-hello/empty"]?.kind, .directory)

        // Bytes and mtimes identical to dpkg-deb -x.
        let x = tmp.sub("x-\(UUID().uuidString)")
        try sh("dpkg-deb -x \(deb) \(x)")
        let reader = try PayloadReader(path: deb, container: .debData)
        for e in list where e.hasData {
            XCTAssertEqual(try reader.readAll(e), try readFile(x + "/" + e.path), e.path)
            let attrs = try FileManager.default.attributesOfItem(atPath: x + "/" + e.path)
            XCTAssertEqual(Int64((attrs[.modificationDate] as! Date).timeIntervalSince1970), e.mtime, e.path)
        }
        for e in list where e.kind == .symlink {
            XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: x + "/" + e.path), e.linkTarget)
        }
        let big = try XCTUnwrap(mine["usr/share/pkgfs-hello/big.bin"])
        XCTAssertEqual(try readSequentially(reader, big, chunk: 128 * 1024), bigFile)
    }

    func testParseFromMemoryAndNoRevision() throws {
        var text = Self.control.replacingOccurrences(of: "Version: 2:1.4~rc1-0ubuntu1", with: "Version: 1.0")
        text = text.replacingOccurrences(of: "Essential: no", with: "Essential: yes")
        try text.write(toFile: tmp.sub("root/DEBIAN/control"), atomically: true, encoding: .utf8)
        let deb = try build("-Zgzip", name: "plain.deb")
        let pkg = try DebPackage.parse(MemoryBytes(try readFile(deb)))
        XCTAssertEqual(pkg.parsedVersion, DebVersion(epoch: nil, upstream: "1.0", revision: nil))
        XCTAssertTrue(pkg.essential)
        XCTAssertEqual(pkg.controlCompression, .gzip)
        XCTAssertEqual(pkg.dataCompression, .gzip)
    }

    /// Every prefix of a real .deb is rejected with a FormatError, never a crash.
    func testTruncatedDebs() throws {
        let deb = try readFile(try build("-Zgzip", name: "t.deb"))
        let whole = try DebPackage.parse(MemoryBytes(deb))
        let dataEnd = whole.dataOffset + whole.dataSize  // after it at most a padding byte
        var cuts = [0, 1, 7, 8, 20, 67, 68, 69, 70, 131, 132, 200, deb.count / 2, dataEnd - 1]
        cuts += stride(from: 0, to: 2048, by: 97).map { $0 }
        for cut in cuts where cut < dataEnd {
            let prefix = Array(deb.prefix(cut))
            let path = tmp.sub("cut.deb")
            try write(prefix, to: path)
            // Parsing may succeed only if control.tar is intact and data.tar is cut: then
            // listing the payload must fail.
            if (try? DebPackage.parse(MemoryBytes(prefix))) != nil {
                assertFormatError(try listPayload(path: path, container: .debData), "cut at \(cut)")
            } else {
                assertFormatError(try DebPackage.parse(path: path), "cut at \(cut)")
            }
        }
    }

    func testNotADeb() throws {
        try write(Array("!<arch>\n".utf8), to: tmp.sub("empty.deb"))
        assertFormatError(try DebPackage.parse(path: tmp.sub("empty.deb"))) { e in
            XCTAssertTrue(e.description.contains("debian-binary"), e.description)
        }
        try write(Array("hello world, not an archive".utf8), to: tmp.sub("junk.deb"))
        assertFormatError(try DebPackage.parse(path: tmp.sub("junk.deb"))) { e in
            guard case .badMagic = e else { return XCTFail("\(e)") }
        }
        assertFormatError(try DebPackage.parse(path: tmp.sub("does-not-exist.deb"))) { e in
            guard case .io = e else { return XCTFail("\(e)") }
        }
    }
}
