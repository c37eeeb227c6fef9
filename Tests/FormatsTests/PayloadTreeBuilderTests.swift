@testable import PkgfsFormats
import XCTest

/// Link groups whose bytes move to later members (cpio stores them with the last; a pax tar
/// may give every link bytes): each member reads the last carrier's, applied once at the end.
final class PayloadTreeBuilderTests: XCTestCase {
    private func header(_ index: Int, _ path: String, size: Int64, link: String? = nil) -> PayloadHeader {
        PayloadHeader(index: index, rawPath: path, fileType: PayloadHeader.regular, mode: PayloadHeader.regular | 0o644,
                      size: size, mtime: 0, symlink: nil, hardlink: link, uid: nil, gid: nil, userName: nil, groupName: nil)
    }

    func testEveryMemberReadsTheLastCarrier() throws {
        var builder = PayloadTreeBuilder(format: "tar", limits: .default)
        try builder.add(header(0, "a", size: 0))
        try builder.add(header(1, "b", size: 0, link: "a"))
        try builder.add(header(2, "c", size: 5, link: "b"))      // carries the bytes now
        try builder.add(header(3, "d", size: 0, link: "a"))
        try builder.add(header(4, "e", size: 9, link: "d"))      // and now this one
        try builder.add(header(5, "lone", size: 3))
        try builder.add(header(6, "b", size: 2))                 // b replaced by a file of its own
        let byPath = Dictionary(uniqueKeysWithValues: builder.entries.map { ($0.path, $0) })
        for path in ["a", "c", "d"] {
            XCTAssertEqual(byPath[path]?.kind, .hardlink, path)
            XCTAssertEqual(byPath[path]?.linkTarget, "e", path)
            XCTAssertEqual(byPath[path]?.dataIndex, 4, path)
            XCTAssertEqual(byPath[path]?.size, 9, path)
        }
        XCTAssertEqual(byPath["e"]?.kind, .file)
        XCTAssertEqual(byPath["e"]?.dataIndex, 4)
        XCTAssertEqual(byPath["b"]?.kind, .file, "replaced: out of the group")
        XCTAssertEqual(byPath["b"]?.dataIndex, 6)
        XCTAssertEqual(byPath["lone"]?.dataIndex, 5)
    }

    /// 100,000 links that each carry bytes (65 s to list when every carrier re-pointed the group).
    func testManyCarryingLinksListInOnePass() throws {
        var builder = PayloadTreeBuilder(format: "tar", limits: .default)
        try builder.add(header(0, "f0", size: 1))
        for i in 1..<100_000 { try builder.add(header(i, "f\(i)", size: 1, link: "f\(i - 1)")) }
        let entries = builder.entries
        XCTAssertEqual(entries.filter { $0.kind == .file }.map(\.path), ["f99999"])
        XCTAssertTrue(entries.allSatisfy { $0.dataIndex == 99_999 })
    }

    /// Many leaves deep down: each new directory walks up to the first known one only (the
    /// walk from the root for each was quadratic in depth), and the paths' total is bounded.
    func testDeepTreesAreBuiltAndTheirPathBytesBounded() throws {
        let base = Array(repeating: "d", count: 1_000).joined(separator: "/")
        var builder = PayloadTreeBuilder(format: "tar", limits: .default)
        for i in 0..<2_000 { try builder.add(header(i, "\(base)/x\(i)/f", size: 1)) }
        let entries = builder.entries
        XCTAssertEqual(entries.count, 1_000 + 2 * 2_000, "1,000 directories made once, then x<i>/ and f each")
        XCTAssertEqual(entries.filter { $0.kind == .directory }.count, 3_000)

        var bounded = PayloadTreeBuilder(format: "tar", limits: PayloadLimits(maxTotalPathBytes: 100_000))
        XCTAssertThrowsError(try (0..<2_000).forEach { try bounded.add(header($0, "\(base)/x\($0)/f", size: 1)) }) { error in
            XCTAssertTrue("\(error)".contains("total length of the paths"), "\(error)")
        }
    }
}
