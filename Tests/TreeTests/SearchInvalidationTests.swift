import Foundation
import PkgfsFUSE
import PkgfsStore
@testable import PkgfsTree
import TestSupport
import XCTest

/// A change tells the kernel to drop the listings of the searches whose hits it changes, and
/// only those: a host that looked up thousands of keywords made every upload invalidate each
/// of them (100 uploads took 2.1 s after 3,000 keyword lookups, 0.5 s before).
final class SearchInvalidationTests: TemporaryRootTestCase {
    func testAChangeInvalidatesTheSearchesItMatchesAndNoOther() throws {
        let tree = PackageTree.forTests(try Repository(root: root))
        let notifier = RecordingNotifier()
        tree.mounted(notifier: notifier)
        let matching = ["obproxy-CE", "OBPROXY_INSTALL", "EL7", "x86_", "4.2.0", "y-c"]
        let other = ["ocp-agent", "aarch64", "GENERIC", "4.2.0-7", "obproxy-ce-4.2.0-7.el7.x86_64.bin", "é"]
        var inos: [String: UInt64] = [:]
        for keyword in matching + other { inos[keyword] = try tree.ino(at: ["search", keyword]) }
        let expected = Set(matching.map { inos[$0]! })
        let others = Set(other.map { inos[$0]! })

        try tree.upload("obproxy-ce-4.2.0-7.el7.x86_64.bin", Array("payload".utf8))
        var invalidated = notifier.takeListings()
        XCTAssertTrue(expected.isSubset(of: invalidated), "each search listing the new package")
        XCTAssertTrue(invalidated.isDisjoint(with: others), "no search it is not in")

        let version = try tree.ino(at: ["OBPROXY_INSTALL_PACKAGE", "el7", "x86_64", "4.2.0"])
        _ = notifier.takeListings()
        try tree.rmdir(parent: version, name: "obproxy-ce-4.2.0-7.el7.x86_64", caller: PackageTree.testOwner)
        invalidated = notifier.takeListings()
        XCTAssertTrue(expected.isSubset(of: invalidated), "each search that listed the deleted package")
        XCTAssertTrue(invalidated.isDisjoint(with: others))
    }

    func testKeywordsInAnyScriptAreMatchedInEitherCase() throws {
        let tree = PackageTree.forTests(try Repository(root: root))
        let notifier = RecordingNotifier()
        tree.mounted(notifier: notifier)
        let matching = ["ÜNÏ", "ünïcode", "CODE-t", "-tool"]
        let other = ["unicode", "é", "ÜNÏX"]
        var inos: [String: UInt64] = [:]
        for keyword in matching + other { inos[keyword] = try tree.ino(at: ["search", keyword]) }
        try tree.upload("Ünïcode-tool-1.0-1.el7.x86_64.bin", Array("payload".utf8))
        let invalidated = notifier.takeListings()
        for keyword in matching { XCTAssertTrue(invalidated.contains(inos[keyword]!), keyword) }
        for keyword in other { XCTAssertFalse(invalidated.contains(inos[keyword]!), keyword) }
    }
}
