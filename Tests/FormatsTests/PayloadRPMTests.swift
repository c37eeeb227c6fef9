import Foundation
import XCTest
@testable import PkgfsFormats

/// RPMs built with `rpmbuild` (gzip, xz, zstd and bzip2 payloads), compared with
/// `rpm -qplv` and with what `rpm2cpio | cpio -idm` extracts, byte for byte.
final class PayloadRPMTests: XCTestCase {
    var tmp: TempDir!
    var big: [UInt8] = []

    static let spec = """
        Name: pkgfs-test
        Version: 1.2
        Release: 3
        Summary: pkgfs payload test
        License: MIT
        BuildArch: noarch
        AutoReqProv: no
        %define debug_package %{nil}
        %define __os_install_post %{nil}
        %define _build_id_links none
        %description
        Payload test package.
        %install
        mkdir -p %{buildroot}
        cp -a %{_sourcedir}/tree/. %{buildroot}/
        %files
        /usr/bin/tool
        /usr/bin/tool-link
        %config /etc/pkgfs.conf
        /usr/share/pkgfs
        %attr(4755,root,root) /usr/sbin/suid-tool

        """

    override func setUpWithError() throws {
        try requireTools("rpmbuild", "rpm", "rpm2cpio", "cpio")
        tmp = try TempDir()
        let tree = tmp.sub("top/SOURCES/tree")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try sh("""
            set -e
            mkdir -p usr/bin usr/sbin usr/share/pkgfs/empty usr/share/pkgfs/sub etc
            printf '#!/bin/sh\\necho hi\\n' > usr/bin/tool
            chmod 0755 usr/bin/tool
            cp usr/bin/tool usr/sbin/suid-tool
            ln -s tool usr/bin/tool-link
            printf 'conf\\n' > etc/pkgfs.conf
            printf 'linked\\n' > usr/share/pkgfs/h1
            ln usr/share/pkgfs/h1 usr/share/pkgfs/h2
            ln usr/share/pkgfs/h1 usr/share/pkgfs/sub/h3
            : > usr/share/pkgfs/empty-file
            printf 'secret\\n' > usr/share/pkgfs/private
            chmod 0600 usr/share/pkgfs/private
            """, cwd: tree)
        big = pseudoRandomBytes(5 * 1024 * 1024 + 4321, seed: 99)
        try write(big, to: tree + "/usr/share/pkgfs/data.bin")
        try Self.spec.write(toFile: tmp.sub("t.spec"), atomically: true, encoding: .utf8)
    }

    override func tearDown() { tmp = nil }

    /// Builds the RPM with the given payload compressor and returns its path.
    func buildRPM(_ payload: String) throws -> String {
        try sh("""
            rpmbuild -bb --quiet --define "_topdir \(tmp.sub("top"))" \
              --define "_binary_payload \(payload)" t.spec >/dev/null
            """, cwd: tmp.path)
        let out = tmp.sub("pkg-\(payload).rpm")
        try FileManager.default.moveItem(atPath: tmp.sub("top/RPMS/noarch/pkgfs-test-1.2-3.noarch.rpm"), toPath: out)
        return out
    }

    func testGzipPayload() throws { try check("w9.gzdio", "gzip") }
    func testXzPayload() throws { try check("w6.xzdio", "xz") }
    func testZstdPayload() throws { try check("w19.zstdio", "zstd") }
    /// bzip2 decompresses slowly and every backwards read starts over: fewer random reads.
    func testBzip2Payload() throws { try check("w9.bzdio", "bzip2", randomReads: 4) }

    /// Cut RPMs: a FormatError from listing or reading, never a crash or wrong bytes.
    func testTruncatedRPM() throws {
        let rpm = try buildRPM("w9.gzdio")
        let full = try readFile(rpm)
        let list = try listPayload(path: rpm, container: .rpm, limits: .default)
        let big = try XCTUnwrap(list.first { $0.path == "usr/share/pkgfs/data.bin" })
        for cut in [0, 50, 96, 200, 1000, 4000, full.count / 2, full.count - 100, full.count - 1] {
            let path = tmp.sub("cut-\(cut).rpm")
            try write(Array(full.prefix(cut)), to: path)
            assertFormatError(try {
                _ = try listPayload(path: path, container: .rpm, limits: .default)
                _ = try PayloadReader(path: path, container: .rpm).readAll(big)
            }(), "cut at \(cut)")
        }
    }

    private func check(_ payload: String, _ compressor: String, randomReads: Int = 25) throws {
        let rpm = try buildRPM(payload)
        XCTAssertEqual(try sh("rpm -qp --nosignature --qf '%{PAYLOADCOMPRESSOR}' \(rpm)"), compressor)
        let list = try listPayload(path: rpm, container: .rpm, limits: .default)
        assertCompleteTree(list)
        try assertHeaderListingIsArchiveListing(try RPMPackage(path: rpm), path: rpm, compressor)

        // Same files, modes, sizes and targets as rpm's own header listing.
        let reference = parseRpmListing(try sh("rpm -qplv --nosignature \(rpm)"))
        let mine = realEntries(list)
        XCTAssertEqual(Set(mine.keys), Set(reference.map(\.path)))
        for ref in reference {
            guard let e = mine[ref.path] else { XCTFail("missing \(ref.path)"); continue }
            XCTAssertEqual(modeString(e).replacingOccurrences(of: "h", with: "-"), ref.mode, ref.path)
            XCTAssertEqual(e.kind == .symlink ? Int64(e.linkTarget!.utf8.count) : e.size, ref.size, ref.path)
            XCTAssertEqual(e.linkTarget.flatMap { e.kind == .symlink ? $0 : nil }, ref.link, ref.path)
        }
        XCTAssertEqual(mine["usr/sbin/suid-tool"]?.mode, 0o104755)
        // Three links, one data carrier (the last in the cpio), all the same size.
        let group = ["usr/share/pkgfs/h1", "usr/share/pkgfs/h2", "usr/share/pkgfs/sub/h3"].compactMap { mine[$0] }
        XCTAssertEqual(group.count, 3)
        XCTAssertEqual(group.filter { $0.kind == .file }.count, 1)
        XCTAssertEqual(Set(group.map(\.dataIndex)).count, 1)
        XCTAssertEqual(Set(group.map(\.size)), [7])
        XCTAssertTrue(list.contains { $0.path == "usr" && $0.archiveIndex == nil })

        // Bytes, mtimes and permissions as rpm2cpio | cpio -idm writes them.
        let x = tmp.sub("x-\(compressor)")
        try FileManager.default.createDirectory(atPath: x, withIntermediateDirectories: true)
        try sh("rpm2cpio \(rpm) | cpio -idm --quiet", cwd: x)
        let reader = try PayloadReader(path: rpm, container: .rpm)
        var files = 0
        for e in list where e.hasData {
            files += 1
            let path = x + "/" + e.path
            XCTAssertEqual(try reader.readAll(e), try readFile(path), e.path)
            let attrs = try FileManager.default.attributesOfItem(atPath: path)
            XCTAssertEqual(Int64((attrs[.modificationDate] as! Date).timeIntervalSince1970), e.mtime, e.path)
            XCTAssertEqual((attrs[.posixPermissions] as! NSNumber).uint32Value, e.permissions, e.path)
        }
        XCTAssertEqual(files, 9)
        for e in list where e.kind == .symlink {
            XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: x + "/" + e.path), e.linkTarget)
        }

        // The several-MiB file: sequential 128 KiB reads, then random ranges.
        let bigEntry = try XCTUnwrap(mine["usr/share/pkgfs/data.bin"])
        let fresh = try PayloadReader(path: rpm, container: .rpm)
        XCTAssertEqual(try readSequentially(fresh, bigEntry, chunk: 128 * 1024), big)
        XCTAssertEqual(fresh.statistics.opens, 1, "sequential reads continue the same cursor")
        var rng = SeededGenerator(seed: 1234)
        for _ in 0..<randomReads {
            let offset = Int.random(in: 0..<big.count, using: &rng)
            let length = Int.random(in: 1...(300 * 1024), using: &rng)
            let got = try fresh.read(bigEntry, offset: Int64(offset), length: length)
            XCTAssertEqual(got, Array(big[offset..<min(big.count, offset + length)]), "\(offset)+\(length)")
        }
    }
}

/// A small deterministic generator (SplitMix64) for reproducible random offsets.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
