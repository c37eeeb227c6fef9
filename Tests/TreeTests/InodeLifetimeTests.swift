import Foundation
import Logging
import PkgfsFUSE
import PkgfsModel
import PkgfsStore
@testable import PkgfsTree
import TestSupport
import XCTest

/// Inode numbers live as long as the kernel holds them: memory follows the kernel's cache,
/// not the size of the catalog (issue 8: RSS at a million packages).
final class InodeLifetimeTests: TemporaryRootTestCase {
    func makeTree() throws -> PackageTree {
        PackageTree.forTests(try Repository(root: root))
    }

    func testLookupsAreCountedAndForgetDropsTheNumber() throws {
        let tree = try makeTree()
        let first = try tree.lookup(parent: InodeTable.rootIno, name: "incoming").attributes.ino
        let second = try tree.lookup(parent: InodeTable.rootIno, name: "incoming").attributes.ino
        XCTAssertEqual(first, second, "one node, one number while the kernel holds it")
        tree.forget(first, count: 1)
        XCTAssertEqual(tree.inodes.node(first), .incoming, "one reference is still held")
        tree.forget(first, count: 1)
        XCTAssertNil(tree.inodes.node(first), "no reference left: the number is dropped")
        let again = try tree.lookup(parent: InodeTable.rootIno, name: "incoming").attributes.ino
        XCTAssertNotEqual(again, first, "numbers are never reused")
        tree.forget(InodeTable.rootIno, count: 99)
        XCTAssertEqual(tree.inodes.node(InodeTable.rootIno), .root, "the root is never forgotten")
    }

    func testPlainListingNumbersNothingAndReaddirplusTakesAReference() throws {
        let tree = try makeTree()
        let before = tree.inodes.count
        let listing = try tree.opendir(InodeTable.rootIno)
        try listing.load()
        let names = (0..<listing.count).map { listing.entry(at: $0) }
        XCTAssertEqual(names.map(\.name), ["incoming", "by-id", "by-sha1", "by-sha256", "search"])
        XCTAssertTrue(names.allSatisfy { $0.ino == DirectoryEntry.unknownIno })
        XCTAssertEqual(tree.inodes.count, before, "a plain listing holds no numbers")

        let plus = try XCTUnwrap(listing.entryPlus(at: 0))
        XCTAssertEqual(plus.attributes.mode & UInt32(S_IFMT), UInt32(S_IFDIR))
        XCTAssertGreaterThan(plus.entryTimeout, 0)
        XCTAssertEqual(listing.entry(at: 0).ino, plus.attributes.ino, "a numbered name keeps its number in listings")
        XCTAssertEqual(try tree.lookup(parent: InodeTable.rootIno, name: "incoming").attributes.ino, plus.attributes.ino)
        tree.forget(plus.attributes.ino, count: 2)
        XCTAssertEqual(tree.inodes.count, before)
    }

    func testUploadNamesAreNeverCachedAndTheRestIsCachedLong() throws {
        let tree = try makeTree()
        let incoming = try tree.lookup(parent: InodeTable.rootIno, name: "incoming")
        XCTAssertLessThanOrEqual(incoming.entryTimeout, 1, "incoming/ changes under the kernel's feet")
        let (entry, reply) = try tree.create(parent: incoming.attributes.ino, name: "x-1.0.tar.gz", mode: 0o644,
                                             flags: O_WRONLY, caller: Caller(uid: 0, gid: 0, pid: 0))
        XCTAssertEqual(entry.entryTimeout, 0)
        tree.release(entry.attributes.ino, handle: reply.handle)
        let byID = try tree.lookup(parent: InodeTable.rootIno, name: "by-id")
        XCTAssertGreaterThanOrEqual(byID.entryTimeout, 60, "invalidated on change, so cached long")
    }
}

final class InodeTableTests: XCTestCase {
    func testATableTheKernelEmptiedGivesItsRoomBack() {
        let table = InodeTable()
        let inos = (0..<100_000).map { table.reference(.idLink("id\($0)"), parent: InodeTable.rootIno, name: "id\($0)") }
        let grown = table.capacity
        XCTAssertGreaterThanOrEqual(grown, 100_000)
        for ino in inos.dropFirst(10) { table.forget(ino, count: 1) }
        XCTAssertEqual(table.count, 11, "ten links and the root")
        XCTAssertLessThan(table.capacity, grown / 8)
        XCTAssertLessThanOrEqual(table.indexCapacity, 1024, "the node index shrinks too")
        XCTAssertEqual(table.node(inos[3]), .idLink("id3"), "what is still held keeps its number")
        XCTAssertEqual(table.existingIno(.idLink("id3")), inos[3])
        XCTAssertNil(table.existingIno(.idLink("id50")))
        XCTAssertNil(table.node(inos[50]), "a forgotten number is unknown")
        let again = (0..<100_000).map { table.reference(.sha1Link("h\($0)"), parent: InodeTable.rootIno, name: "h\($0)") }
        XCTAssertTrue(Set(again).isDisjoint(with: inos), "freed chunks come back under new numbers")
        XCTAssertEqual(table.node(again[50_000]), .sha1Link("h50000"))
    }
}

extension InodeTableTests {
    /// Random references and forgets against a plain dictionary: the node index (open addressing,
    /// backward-shift deletion) and the slots must always agree with it, and no number may come
    /// back for another node.
    func testRandomChurnAgreesWithADictionary() {
        let table = InodeTable()
        var expected: [Node: (ino: UInt64, references: UInt64)] = [:]
        var numbered: [UInt64: Node] = [InodeTable.rootIno: .root]
        var random = SystemRandomNumberGenerator()
        let nodes: [Node] = (0..<12_000).map { $0 % 3 == 0 ? .package(Int64($0)) : .sha1Link("h\($0 % 997)-\($0)") }
        for round in 0..<150_000 {
            let node = nodes[Int.random(in: 0..<nodes.count, using: &random)]
            if let held = expected[node], Bool.random(using: &random) {
                let count = UInt64.random(in: 1...2, using: &random)
                table.forget(held.ino, count: count)
                expected[node] = held.references > count ? (held.ino, held.references - count) : nil
            } else {
                let ino = table.reference(node, parent: InodeTable.rootIno, name: "n")
                if let held = expected[node] {
                    XCTAssertEqual(ino, held.ino, "round \(round): a held node keeps its number")
                    expected[node] = (ino, held.references + 1)
                } else {
                    XCTAssertNil(numbered[ino].flatMap { $0 == node ? nil : $0 }, "round \(round): number \(ino) reused")
                    numbered[ino] = node
                    expected[node] = (ino, 1)
                }
            }
        }
        XCTAssertEqual(table.count, expected.count + 1)
        for node in nodes {
            XCTAssertEqual(table.existingIno(node), expected[node]?.ino, "\(node)")
            if let ino = expected[node]?.ino { XCTAssertEqual(table.node(ino), node) }
        }
        for (ino, node) in numbered where expected[node]?.ino != ino && ino != InodeTable.rootIno {
            XCTAssertNil(table.node(ino), "a forgotten number \(ino) stays unknown")
        }
    }

    func testAPackagesInodesAreFoundWithoutTheOthers() {
        let table = InodeTable()
        let root = InodeTable.rootIno
        var held: [Int64: Set<UInt64>] = [:]
        for id in Int64(1)...50 {
            held[id] = [table.reference(.package(id), parent: root, name: "p\(id)"),
                        table.reference(.meta(id, version: 1), parent: root, name: "meta.json"),
                        table.reference(.payload(id, path: "/a", type: UInt32(S_IFREG)), parent: root, name: "a"),
                        table.reference(.searchLink("kw", id), parent: root, name: "l\(id)")]
        }
        let search = table.reference(.searchDir("kw"), parent: root, name: "kw")
        _ = table.reference(.idLink("7"), parent: root, name: "7")
        // Forgetting moves the last of a group into the freed slot: every order must keep the lists right.
        for id in Int64(1)...50 where id % 3 == 0 {
            let inos = held[id]!.sorted()
            table.forget(inos[1], count: 1)
            table.forget(inos[3], count: 1)
            held[id]!.subtract([inos[1], inos[3]])
        }
        for id in Int64(1)...50 {
            XCTAssertEqual(Set(table.places(in: .package(id)).map(\.ino)), held[id]!, "package \(id)")
        }
        XCTAssertEqual(table.places(in: .searchKeyword(KeywordMatch.foldedHash(ofASCIIKeyword: "KW")!)).map(\.ino), [search])
        XCTAssertEqual(table.place(of: .meta(4, version: 1)), InodeTable.Place(parent: root, name: "meta.json", ino: table.existingIno(.meta(4, version: 1))!, node: .meta(4, version: 1)))
        XCTAssertNil(table.place(of: .meta(999, version: 1)))
        for ino in held[9]! { table.forget(ino, count: 1) }
        XCTAssertEqual(table.places(in: .package(9)), [])
        XCTAssertEqual(table.places(in: .package(10)).count, 4)
    }
}

final class NodeLayoutTests: XCTestCase {
    func testANodeTakesThreeWords() {
        // Two copies per inode the kernel holds (see Node): the size is the memory of a big browse.
        XCTAssertEqual(MemoryLayout<Node>.stride, 24)
    }
}
