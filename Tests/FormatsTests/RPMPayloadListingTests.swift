import XCTest
@testable import PkgfsFormats

/// The payload listing read from the RPM header must be the cpio archive's own listing.
final class RPMPayloadListingTests: XCTestCase {
    /// Hard links, a %ghost, a device node, a symlink, directories owned or not, a source
    /// package's bare names, an empty package: every fixture, compressed four ways.
    func testHeaderListingIsTheArchiveListingForEveryFixture() throws {
        let tmp = try TempDir()
        for fixture in try RPMTestKit.fixtures().all {
            let path = tmp.sub(fixture.fileName)
            try write(fixture.bytes, to: path)
            let rpm = try fixture.package()
            XCTAssertTrue(rpm.listsPayloadFromHeader, fixture.label)
            try assertHeaderListingIsArchiveListing(rpm, path: path, fixture.label)
        }
    }

    /// What the header adds: owners by name (cpio carries numbers only).
    func testHeaderListingCarriesOwnerNames() throws {
        let rpm = try RPMTestKit.fixtures().gzipX86.package()
        let listing = try rpm.payloadListing()
        let owned = try XCTUnwrap(listing.first { $0.path == "usr/share/demo/owned" })
        XCTAssertEqual(owned.userName, "bin")
        XCTAssertEqual(owned.groupName, "daemon")
        XCTAssertNil(owned.uid, "a non-root owner's number is the build host's, not known here")
        let demo = try XCTUnwrap(listing.first { $0.path == "usr/bin/demo" })
        XCTAssertEqual(demo.uid, 0)
        XCTAssertFalse(listing.contains { $0.path.hasPrefix("var/log") }, "%ghost files have no payload member")
    }

    /// The same limits as the archive's listing: too many entries, too many bytes.
    func testHeaderListingKeepsThePayloadLimits() throws {
        let rpm = try RPMTestKit.fixtures().gzipX86.package()
        XCTAssertThrowsError(try rpm.payloadListing(limits: PayloadLimits(maxEntries: 3))) { error in
            XCTAssertTrue("\(error)".contains("number of entries"), "\(error)")
        }
        XCTAssertThrowsError(try rpm.payloadListing(limits: PayloadLimits(maxTotalSize: 1000))) { error in
            XCTAssertTrue("\(error)".contains("total declared size"), "\(error)")
        }
    }

    /// The check made before a header listing is trusted: one header of the real archive.
    func testPayloadStartsTellsAListingThatBeginsLikeTheArchive() throws {
        let tmp = try TempDir()
        let fixture = try RPMTestKit.fixtures().xzAarch64
        let path = tmp.sub(fixture.fileName)
        try write(fixture.bytes, to: path)
        let listing = try fixture.package().payloadListing()
        XCTAssertTrue(payloadStarts(path: path, container: .rpm, as: listing))

        var renamed = listing
        let first = try XCTUnwrap(renamed.firstIndex { $0.archiveIndex == 0 })
        renamed[first].path += ".other"
        XCTAssertFalse(payloadStarts(path: path, container: .rpm, as: renamed), "another first member")
        XCTAssertFalse(payloadStarts(path: path, container: .rpm, as: []), "the archive is not empty")

        var garbled = fixture.bytes
        let payload = try fixture.package().payloadOffset
        for i in payload..<min(garbled.count, payload + 4096) { garbled[i] = UInt8(truncatingIfNeeded: i * 7) }
        let broken = tmp.sub("broken.rpm")
        try write(garbled, to: broken)
        XCTAssertFalse(payloadStarts(path: broken, container: .rpm, as: listing), "the compressor cannot read it")
    }

    /// A listing that places members elsewhere than the archive does (another builder's order,
    /// an old rpm's hard-link carrier) still reads the right bytes: the reader lists the archive
    /// once and reads each member where it is.
    func testReaderFindsMembersTheListingMisplaces() throws {
        let tmp = try TempDir()
        let fixture = try RPMTestKit.fixtures().gzipX86
        let path = tmp.sub(fixture.fileName)
        try write(fixture.bytes, to: path)
        let listing = try fixture.package().payloadListing()
        func entry(_ p: String) throws -> PayloadEntry { try XCTUnwrap(listing.first { $0.path == p }) }
        let expected = try PayloadReader(path: path, container: .rpm)
        let big = try entry("usr/share/demo/big.bin"), demo = try entry("usr/bin/demo")
        let link = try entry("usr/bin/demo-hardlink")
        XCTAssertEqual(link.kind, .file, "rpm ≥ 4.12 stores a link set's bytes with its last member")

        var misplaced = big
        misplaced.archiveIndex = big.archiveIndex! - 1
        misplaced.dataIndex = big.dataIndex! - 1
        var otherCarrier = link
        otherCarrier.kind = .hardlink
        otherCarrier.linkTarget = demo.path
        otherCarrier.dataIndex = demo.archiveIndex

        let reader = try PayloadReader(path: path, container: .rpm)
        XCTAssertEqual(try reader.readAll(misplaced), try expected.readAll(big))
        XCTAssertEqual(try reader.readAll(otherCarrier), Array("#!/bin/sh\necho hi\n".utf8))
        XCTAssertEqual(reader.statistics.relistings, 1, "the archive is listed once, then remembered")
        XCTAssertEqual(expected.statistics.relistings, 0)

        // A member the archive does not have stays an error.
        var missing = big
        missing.path = "usr/share/demo/not-there"
        XCTAssertThrowsError(try reader.readAll(missing))
    }
}

/// Header and archive listings agree on everything but owners (cpio has numbers, the header names).
func assertHeaderListingIsArchiveListing(_ rpm: RPMPackage, path: String, _ label: String,
                                         file: StaticString = #filePath, line: UInt = #line) throws {
    func withoutOwners(_ entries: [PayloadEntry]) -> [PayloadEntry] {
        entries.map { var e = $0; e.uid = nil; e.gid = nil; e.userName = nil; e.groupName = nil; return e }
    }
    let fromArchive = withoutOwners(try listPayload(path: path, container: .rpm))
    let fromHeader = withoutOwners(try rpm.payloadListing())
    XCTAssertEqual(fromHeader.count, fromArchive.count, label, file: file, line: line)
    for (h, a) in zip(fromHeader, fromArchive) where h != a {
        XCTFail("\(label): header says \(h), archive says \(a)", file: file, line: line)
    }
}
