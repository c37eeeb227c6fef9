import Foundation
import XCTest
import PkgfsFormats

/// Hand-made packages: the header structure rules, one violation at a time.
final class RPMHeaderStructureTests: XCTestCase {
    typealias Kit = RPMTestKit
    typealias Entry = RPMTestKit.Entry

    private func parse(_ bytes: [UInt8]) throws -> RPMPackage {
        try RPMPackage(reader: MemoryBytes(bytes))
    }

    private func expectInvalid(_ bytes: [UInt8], _ fragment: String, line: UInt = #line) {
        let e = Kit.expectFormatError({ try parse(bytes) }, fragment, line: line)
        guard case .invalid(let format, let reason)? = e else {
            return XCTFail("expected invalid containing \"\(fragment)\", got \(String(describing: e))", line: line)
        }
        XCTAssertEqual(format, "RPM", line: line)
        XCTAssertTrue(reason.contains(fragment), "\"\(reason)\" should contain \"\(fragment)\"", line: line)
    }

    func testMinimalSyntheticPackageParses() throws {
        let p = try parse(Kit.package(main: Kit.minimalMain))
        XCTAssertEqual(p.name, "synthetic")
        XCTAssertEqual(p.version, "1")
        XCTAssertEqual(p.arch, "noarch")
        XCTAssertNil(p.epoch)
        XCTAssertEqual(p.files, [])
        XCTAssertEqual(p.requires, [])
        XCTAssertEqual(p.fileDigestAlgorithm, .md5, "MD5 when FILEDIGESTALGO is absent")
        XCTAssertNil(p.payloadDigestAlgorithm)
        XCTAssertFalse(p.isSource)
        XCTAssertEqual(try p.verifyDigests(reader: MemoryBytes(Kit.package(main: Kit.minimalMain))), [])
    }

    func testHeaderWithoutRegionParses() throws {
        let p = try parse(Kit.package(main: Kit.minimalMain, mainRegion: nil))
        XCTAssertEqual(p.name, "synthetic")
    }

    func testOldFilenamesLongSizesAndAllIntegerWidths() throws {
        let main = Kit.minimalMain + [
            .int32(1003, [7]),
            .strings(1027, ["/a", "/b/c"]),
            .int16(1030, [0o100644, 0o120777]),
            .int32(1034, [1, 2]),
            .strings(1036, ["", "/a"]),
            .int32(1037, [RPMFileFlag.config | RPMFileFlag.noReplace, 0]),
            .int64(5008, [5_000_000_000, 3]),
            .int32(5011, [8]),
        ]
        let p = try parse(Kit.package(main: main))
        XCTAssertEqual(p.epoch, 7)
        XCTAssertEqual(p.files.map(\.path), ["/a", "/b/c"])
        XCTAssertEqual(p.files.map(\.size), [5_000_000_000, 3])
        XCTAssertEqual(p.files.map(\.mode), [0o100644, 0o120777])
        XCTAssertEqual(p.files[1].linkTarget, "/a")
        XCTAssertNil(p.files[0].linkTarget)
        XCTAssertEqual(p.files[0].attributes, ["config", "noreplace"])
        XCTAssertEqual(p.fileDigestAlgorithm, .sha256)
    }

    func testDirnamesBasenamesAssembly() throws {
        let main = Kit.minimalMain + [
            .int32(1028, [1, 2, 3]),
            .int32(1116, [1, 0, 1]),
            .strings(1117, ["x", "y", "z"]),
            .strings(1118, ["/usr/", "/etc/"]),
        ]
        XCTAssertEqual(try parse(Kit.package(main: main)).files.map(\.path), ["/etc/x", "/usr/y", "/etc/z"])
    }

    func testRequiredTagsAndTypes() {
        expectInvalid(Kit.package(main: [.string(1001, "1"), .string(1002, "1")]), "missing NAME")
        expectInvalid(Kit.package(main: [.int32(1000, [1]), .string(1001, "1"), .string(1002, "1")]),
                      "tag 1000 NAME has type INT32, expected STRING")
        expectInvalid(Kit.package(main: Kit.minimalMain + [.string(1003, "3")]), "EPOCH has type STRING")
        expectInvalid(Kit.package(main: Kit.minimalMain + [.string(1030, "x"), .strings(1117, ["a"]), .strings(1118, ["/"]), .int32(1116, [0])]),
                      "FILEMODES has type STRING")
    }

    func testStringsMustBeNULTerminatedInsideTheStore() {
        var name = Entry.string(1000, "synthetic")
        name.data.removeLast()  // no NUL; the next entry's bytes follow, the last has none
        let main: [Entry] = [.string(1001, "1"), .string(1002, "1"), name]
        expectInvalid(Kit.package(main: main, mainRegion: nil), "NUL-terminated")

        // A string array claiming more strings than the store holds.
        var arr = Entry.strings(1117, ["a", "b"])
        arr.count = 3
        expectInvalid(Kit.package(main: Kit.minimalMain + [arr], mainRegion: nil), "3 NUL-terminated string(s)")
        // With a region, the strings may not run into the trailer either.
        expectInvalid(Kit.package(main: Kit.minimalMain + [arr]), "run past")
    }

    func testArrayCountVersusDataSize() {
        var sizes = Entry.int32(1028, [1, 2])
        sizes.count = 10  // no more items than store bytes, but 40 bytes where 8 remain
        expectInvalid(Kit.package(main: Kit.minimalMain + [sizes], mainRegion: nil), "10 × 4 bytes")
        var big = Entry.int64(5008, [1])
        big.count = 0
        expectInvalid(Kit.package(main: Kit.minimalMain + [big]), "item count 0")
    }

    func testAlignmentOverlapAndDuplicates() {
        var misaligned = Entry.int32(1006, [1])
        misaligned.offset = 1
        expectInvalid(Kit.package(main: Kit.minimalMain + [misaligned]), "not aligned for INT32")

        var overlap = Entry.string(1007, "host")
        overlap.offset = 0  // points at NAME's data
        expectInvalid(Kit.package(main: Kit.minimalMain + [overlap]), "overlaps")

        expectInvalid(Kit.package(main: Kit.minimalMain + [.string(1000, "again")]), "more than once")
        expectInvalid(Kit.package(main: Kit.minimalMain + [Entry(tag: 1008, type: 0, count: 1, data: [0])]), "unknown data type 0")
        expectInvalid(Kit.package(main: Kit.minimalMain + [Entry(tag: 1008, type: 10, count: 1, data: [0])]), "unknown data type 10")
    }

    func testRegionMustCoverTheWholeHeader() throws {
        var blob = Kit.header(Kit.minimalMain, region: 63)
        // Make the trailer claim one entry fewer than the header has.
        let il = Int(Kit.be32(blob, 8)), dl = Int(Kit.be32(blob, 12))
        let trailer = 16 + il * 16 + dl - 16
        Kit.putBE32(&blob, trailer + 8, UInt32(bitPattern: -Int32((il - 1) * 16)))
        var bytes = Kit.lead() + Kit.header([.int32(1000, [UInt32(blob.count + 4)])], region: 62)
        while bytes.count % 8 != 0 { bytes.append(0) }
        expectInvalid(bytes + blob + [1, 2, 3, 4], "region covers")

        // Region tag pointing outside the store.
        blob = Kit.header(Kit.minimalMain, region: 63)
        Kit.putBE32(&blob, 16 + 8, UInt32(dl + 1))
        bytes = Kit.lead() + Kit.header([.int32(1000, [UInt32(blob.count + 4)])], region: 62)
        while bytes.count % 8 != 0 { bytes.append(0) }
        expectInvalid(bytes + blob + [1, 2, 3, 4], "region trailer offset")

        // The wrong region tag for the header: 62 in the main header is a reserved tag number.
        expectInvalid(Kit.package(main: Kit.minimalMain, mainRegion: 62), "below 100")
    }

    func testFileArraysMustMatchTheFileCount() {
        let files: [Entry] = [.int32(1116, [0, 0]), .strings(1117, ["a", "b"]), .strings(1118, ["/"])]
        expectInvalid(Kit.package(main: Kit.minimalMain + [.int32(1028, [1])] + files), "FILESIZES has 1 items for 2 files")
        expectInvalid(Kit.package(main: Kit.minimalMain + [.int32(1116, [0, 1]), .strings(1117, ["a", "b"]), .strings(1118, ["/"])]),
                      "DIRINDEXES[1] = 1 but there are 1 DIRNAMES")
        expectInvalid(Kit.package(main: Kit.minimalMain + [.int32(1116, [0]), .strings(1117, ["a", "b"]), .strings(1118, ["/"])]),
                      "DIRINDEXES has 1 items for 2 BASENAMES")
        expectInvalid(Kit.package(main: Kit.minimalMain + [.strings(1117, ["a"])]), "BASENAMES without DIRNAMES")
        expectInvalid(Kit.package(main: Kit.minimalMain + [.strings(1117, ["a"]), .strings(1118, ["/"])]), "BASENAMES without DIRINDEXES")
    }

    func testDependencyArraysMustMatch() {
        expectInvalid(Kit.package(main: Kit.minimalMain + [.int32(1048, [8, 8]), .strings(1049, ["a"])]),
                      "REQUIREFLAGS has 2 items for 1 REQUIRENAME items")
        expectInvalid(Kit.package(main: Kit.minimalMain + [.strings(1049, ["a"]), .strings(1050, ["1", "2"])]),
                      "REQUIREVERSION has 2 items for 1 REQUIRENAME items")
        expectInvalid(Kit.package(main: Kit.minimalMain + [.int32(1048, [8])]), "REQUIREFLAGS present without REQUIRENAME")
    }

    func testSignatureHeaderLimitsAndValues() {
        let many = (0..<32).map { Entry.int32(2000 + UInt32($0), [0]) }
        let e = Kit.expectFormatError({ try self.parse(Kit.package(signature: many, main: Kit.minimalMain)) }, "33 tags")
        XCTAssertEqual(e, .limitExceeded(what: "RPM signature header index entry count 33", limit: 32))

        let bigData = [Entry.bin(2000, [UInt8](repeating: 7, count: 70_000))]
        guard case .limitExceeded? = Kit.expectFormatError({ try self.parse(Kit.package(signature: bigData, main: Kit.minimalMain)) }, "70 kB") else {
            return XCTFail("a signature store over 64 KiB exceeds rpm's limit")
        }
        expectInvalid(Kit.package(signature: [.bin(1004, [1, 2, 3])], main: Kit.minimalMain), "MD5 has 3 bytes")
        // SIZE smaller than the header itself.
        expectInvalid(Kit.package(signature: [.int32(1000, [10])], main: Kit.minimalMain), "smaller than")
    }

    func testMissingPaddingAfterSignatureIsTruncation() {
        var bytes = Kit.lead() + Kit.header([.int32(1000, [1]), .string(1001, "abcd")], region: 62)
        XCTAssertNotEqual(bytes.count % 8, 0, "the test needs a signature that is not a multiple of 8")
        let needed = bytes.count + (8 - bytes.count % 8)
        XCTAssertEqual(Kit.expectFormatError({ try self.parse(bytes) }, "no padding"),
                       .truncated(needed: needed, available: bytes.count))
        while bytes.count % 8 != 0 { bytes.append(0) }
        XCTAssertEqual(Kit.expectFormatError({ try self.parse(bytes) }, "no main header"),
                       .truncated(needed: bytes.count + 16, available: bytes.count))
    }

    func testSourceDetection() throws {
        let main = Kit.minimalMain.filter { $0.tag != 1044 }
        let p = try parse(Kit.package(main: main))
        XCTAssertTrue(p.isSource, "no SOURCERPM means a source package, as rpm decides")
    }
}
