import XCTest
@testable import PkgfsTree

final class LinkMemoTests: XCTestCase {
    let package = LinkMemo.LinkedPackage(path: "T/el7/x86_64/1/p-1.rpm", createdAt: 42)

    func testLinksToOnePackageAreReadOnceEachAndShowItsPathAndTime() {
        let memo = LinkMemo(capacity: 16)
        var reads = 0
        let read = { () -> LinkMemo.Read? in reads += 1; return .package(7, self.package) }
        for _ in 0..<3 {
            let byID = memo.view(of: .idLink("7"), prefix: "../", read: read)
            XCTAssertEqual(byID?.target, "../T/el7/x86_64/1/p-1.rpm")
            XCTAssertEqual(byID?.createdAt, 42)
            let hit = memo.view(of: .searchLink("p", 7), prefix: "../../", read: read)
            XCTAssertEqual(hit?.target, "../../T/el7/x86_64/1/p-1.rpm", "the prefix is the link's, the path the package's")
        }
        XCTAssertEqual(reads, 2, "one read per link, then remembered")
        let latest = memo.view(of: .latest("T", "el7", "x86_64"), prefix: "../") { .target("1") }
        XCTAssertEqual(latest?.target, "1")
        XCTAssertNil(latest?.createdAt)
        XCTAssertNil(memo.view(of: .sha1Link("ab"), prefix: "../") { nil }, "a dangling link is not remembered")
    }

    func testAChangeForgetsWhatItCanHaveMovedAndAReadDuringItIsNotKept() {
        let memo = LinkMemo(capacity: 16)
        let other = LinkMemo.LinkedPackage(path: "T/el7/x86_64/2/q-2.rpm", createdAt: 43)
        _ = memo.view(of: .idLink("7"), prefix: "../") { .package(7, self.package) }
        _ = memo.view(of: .sha1Link("ab"), prefix: "../") { .package(8, other) }
        _ = memo.view(of: .latest("T", "el7", "x86_64"), prefix: "../") { .target("2") }
        _ = memo.view(of: .payload(7, path: "opt/p/link", type: 0), prefix: "") { .target("payload.bin") }
        _ = memo.view(of: .payload(8, path: "opt/q/link", type: 0), prefix: "") { .target("payload.bin") }
        let change = { memo.forget(packages: [7], links: [.idLink("7")], targets: [.latest("T", "el7", "x86_64")], gone: true) }
        change()
        var reads = 0
        let moved = LinkMemo.LinkedPackage(path: "T/el8/x86_64/1/p-1.rpm", createdAt: 42)
        let during = memo.view(of: .idLink("7"), prefix: "../") { () -> LinkMemo.Read? in
            reads += 1
            change()  // another change lands while this one reads
            return .package(7, self.package)
        }
        XCTAssertEqual(during?.target, "../T/el7/x86_64/1/p-1.rpm", "the reader still gets what it read")
        let after = memo.view(of: .idLink("7"), prefix: "../") { reads += 1; return .package(7, moved) }
        XCTAssertEqual(after?.target, "../T/el8/x86_64/1/p-1.rpm", "what was read before the change was not kept")
        XCTAssertEqual(reads, 2)
        XCTAssertEqual(memo.unknown([.latest("T", "el7", "x86_64"), .payload(7, path: "opt/p/link", type: 0)]).count, 2,
                       "latest above the package and the payload links of a package gone are forgotten")
        XCTAssertEqual(memo.unknown([.sha1Link("ab"), .payload(8, path: "opt/q/link", type: 0)]), [],
                       "links to another package keep their targets")
    }
}
