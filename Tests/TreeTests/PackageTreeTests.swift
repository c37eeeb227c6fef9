import Foundation
import Logging
import PkgfsFUSE
import PkgfsStore
@testable import PkgfsTree
import TestSupport
import XCTest

/// The tree as plain Swift calls, no kernel involved (mountpoint-s3's reference style).
final class PackageTreeTests: TemporaryRootTestCase {
    let owner = Caller(uid: 0, gid: 0, pid: 0)
    let stranger = Caller(uid: 4242, gid: 4242, pid: 0)

    func makeTree() throws -> PackageTree {
        PackageTree.forTests(try Repository(root: root))
    }

    func path(_ tree: PackageTree, _ components: String...) throws -> UInt64 {
        try tree.ino(at: components)
    }

    func upload(_ tree: PackageTree, _ name: String, _ bytes: [UInt8], as caller: Caller? = nil) throws {
        try tree.upload(name, bytes, as: caller ?? owner)
    }

    func names(_ tree: PackageTree, _ ino: UInt64) throws -> [String] {
        try tree.readdir(ino).map(\.name)
    }

    func testUploadAppearsWhereItsNameSays() throws {
        let tree = try makeTree()
        XCTAssertEqual(try names(tree, InodeTable.rootIno), ["incoming", "by-id", "by-sha1", "by-sha256", "search"])
        try upload(tree, "obproxy-ce-4.2.0-7.el7.x86_64.bin", Array("payload".utf8))
        let pkg = try path(tree, "OBPROXY_INSTALL_PACKAGE", "el7", "x86_64", "4.2.0", "obproxy-ce-4.2.0-7.el7.x86_64")
        XCTAssertEqual(try names(tree, pkg), ["obproxy-ce-4.2.0-7.el7.x86_64.bin", "meta.json", "state"])
        let original = try tree.lookup(parent: pkg, name: "obproxy-ce-4.2.0-7.el7.x86_64.bin")
        XCTAssertEqual(original.attributes.size, 7)
        let opened = try tree.open(original.attributes.ino, flags: O_RDONLY, caller: owner)
        XCTAssertTrue(opened.keepCache)
        XCTAssertEqual(try tree.read(original.attributes.ino, handle: opened.handle, offset: 3, size: 100), Array("load".utf8))
        tree.release(original.attributes.ino, handle: opened.handle)
        let receipt = try path(tree, "incoming", "obproxy-ce-4.2.0-7.el7.x86_64.bin")
        XCTAssertEqual(try tree.readlink(receipt), "../OBPROXY_INSTALL_PACKAGE/el7/x86_64/4.2.0/obproxy-ce-4.2.0-7.el7.x86_64")
        XCTAssertEqual(try tree.readlink(try path(tree, "OBPROXY_INSTALL_PACKAGE", "el7", "x86_64", "latest")), "4.2.0")
        XCTAssertThrowsError(try tree.lookup(parent: InodeTable.rootIno, name: "NO_SUCH_TYPE")) { error in
            XCTAssertEqual((error as? FSError)?.errno, ENOENT)
        }
    }

    /// A type or version named like the tree's own names (a type rule saying `incoming`, a deb
    /// named `x_latest_amd64.deb`) is filed with a leading `_`, so the drop box and `latest`
    /// stay what they are and the package stays reachable.
    func testPackagesNamedLikeTheTreesOwnNamesDoNotHideThem() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try #"{"rules": [{"pattern": "evil*", "type": "incoming"}], "fallback": "GENERIC_PACKAGE"}"#
            .write(toFile: root + "/type-rules.json", atomically: true, encoding: .utf8)
        let tree = try makeTree()
        XCTAssertEqual(Set(try names(tree, InodeTable.rootIno)), PackageLocation.rootNames, "the reserved names are the root's own")
        try upload(tree, "evil-1.0-1.el7.x86_64.bin", Array("x".utf8))
        XCTAssertThrowsError(try upload(tree, "lv_latest_amd64.deb", Array("not a deb".utf8)), "corrupt, filed even so")
        XCTAssertEqual(try names(tree, InodeTable.rootIno), ["incoming", "by-id", "by-sha1", "by-sha256", "search", "GENERIC_PACKAGE", "_incoming"])
        XCTAssertEqual(try tree.readlink(try path(tree, "incoming", "evil-1.0-1.el7.x86_64.bin")), "../_incoming/el7/x86_64/1.0/evil-1.0-1.el7.x86_64")
        let arch = try path(tree, "GENERIC_PACKAGE", "unknown", "amd64")
        XCTAssertEqual(try names(tree, arch), ["_latest", "latest"])
        XCTAssertEqual(try tree.readlink(try path(tree, "GENERIC_PACKAGE", "unknown", "amd64", "latest")), "_latest")
        XCTAssertNoThrow(try path(tree, "GENERIC_PACKAGE", "unknown", "amd64", "_latest", "lv_latest_amd64", "meta.json"))
        try upload(tree, "after-1.0.bin", Array("y".utf8))
        XCTAssertNoThrow(try path(tree, "incoming", "after-1.0.bin"), "the drop box still takes uploads")
    }

    /// The request loop lists these without a hand-over: only directories whose names do not
    /// grow with the catalog.
    func testOnlyDirectoriesOfFewNamesListQuickly() throws {
        let tree = try makeTree()
        try upload(tree, "obproxy-ce-4.2.0-7.el7.x86_64.bin", Array("payload".utf8))
        let quick = [try path(tree), try path(tree, "OBPROXY_INSTALL_PACKAGE"), try path(tree, "OBPROXY_INSTALL_PACKAGE", "el7"),
                     try path(tree, "OBPROXY_INSTALL_PACKAGE", "el7", "x86_64", "4.2.0", "obproxy-ce-4.2.0-7.el7.x86_64"),
                     try path(tree, "search")]
        for ino in quick { XCTAssertTrue(tree.listsQuickly(ino), "inode \(ino)") }
        let slow = [try path(tree, "incoming"), try path(tree, "by-id"), try path(tree, "by-sha1"), try path(tree, "by-sha256"),
                    try path(tree, "OBPROXY_INSTALL_PACKAGE", "el7", "x86_64"), try path(tree, "OBPROXY_INSTALL_PACKAGE", "el7", "x86_64", "4.2.0"),
                    try path(tree, "search", "obproxy")]
        for ino in slow { XCTAssertFalse(tree.listsQuickly(ino), "inode \(ino)") }
        XCTAssertFalse(tree.listsQuickly(try path(tree, "OBPROXY_INSTALL_PACKAGE", "el7", "x86_64", "4.2.0", "obproxy-ce-4.2.0-7.el7.x86_64", "meta.json")),
                       "not a directory")
        XCTAssertFalse(tree.listsQuickly(9_999_999), "no such inode")
    }

    /// A listing gives meta.json's attributes only once its size is known: rendering it for
    /// every package of a `find`, which never looks at them, was most of a first pass's time.
    func testMetaJSONIsListedWithAttributesOnceItsSizeIsKnown() throws {
        let uploader = try makeTree()
        try upload(uploader, "obproxy-ce-4.2.0-7.el7.x86_64.bin", Array("payload".utf8))
        let tree = PackageTree.forTests(uploader.repository)
        let pkg = try path(tree, "OBPROXY_INSTALL_PACKAGE", "el7", "x86_64", "4.2.0", "obproxy-ce-4.2.0-7.el7.x86_64")
        func listed(_ name: String) throws -> Entry? {
            let listing = try tree.opendir(pkg)
            try listing.load()
            let index = try XCTUnwrap((0..<listing.count).first { listing.entry(at: $0).name == name }, name)
            let entry = listing.entryPlus(at: index)
            if let entry { tree.forget(entry.attributes.ino, count: 1) }
            return entry
        }
        XCTAssertNil(try listed("meta.json"), "listed before anything needed its size")
        XCTAssertEqual(try listed("obproxy-ce-4.2.0-7.el7.x86_64.bin")?.attributes.size, 7)
        XCTAssertNotNil(try listed("state"))

        let looked = try tree.lookup(parent: pkg, name: "meta.json")
        let opened = try tree.open(looked.attributes.ino, flags: O_RDONLY, caller: owner)
        let bytes = try tree.read(looked.attributes.ino, handle: opened.handle, offset: 0, size: 1 << 20)
        tree.release(looked.attributes.ino, handle: opened.handle)
        XCTAssertEqual(looked.attributes.size, Int64(bytes.count))
        XCTAssertEqual(try listed("meta.json")?.attributes.size, Int64(bytes.count), "listed with its size once known")
    }

    /// A page of by-id/, by-sha1/ or by-sha256/ listed with attributes reads its link targets
    /// together; each still points where a link looked up on its own points.
    func testIndexLinksListedWithAttributesPointWhereTheirLookupsDo() throws {
        let uploader = try makeTree()
        try upload(uploader, "obproxy-ce-4.2.0-7.el7.x86_64.bin", Array("one".utf8))
        try upload(uploader, "obproxy-ce-4.3.0-1.el7.x86_64.bin", Array("two".utf8))
        // The same bytes again: the digest links stay with the first upload of them.
        try upload(uploader, "obproxy-ce-4.1.0-1.el7.x86_64.bin", Array("one".utf8))
        let listingTree = PackageTree.forTests(uploader.repository)
        let lookupTree = PackageTree.forTests(uploader.repository)
        for index in ["by-id", "by-sha1", "by-sha256"] {
            let directory = try path(listingTree, index)
            let listing = try listingTree.opendir(directory)
            try listing.load()
            XCTAssertEqual(listing.count, index == "by-id" ? 6 : 2, index)
            for position in 0..<listing.count {
                let name = listing.entry(at: position).name
                let entry = try XCTUnwrap(listing.entryPlus(at: position), "\(index)/\(name)")
                let target = try listingTree.readlink(entry.attributes.ino)
                XCTAssertEqual(entry.attributes.size, Int64(target.utf8.count), "\(index)/\(name)")
                XCTAssertEqual(target, try lookupTree.readlink(try path(lookupTree, index, name)), "\(index)/\(name)")
                listingTree.forget(entry.attributes.ino, count: 1)
            }
        }
        let sha1 = try names(lookupTree, try path(lookupTree, "by-sha1"))
        XCTAssertTrue(try sha1.contains { try lookupTree.readlink(try path(lookupTree, "by-sha1", $0)).hasSuffix("4.2.0/obproxy-ce-4.2.0-7.el7.x86_64") })
    }

    func testLinkTargetsFollowUploadsAndDeletes() throws {
        let tree = try makeTree()
        try upload(tree, "obproxy-ce-4.2.0-7.el7.x86_64.bin", Array("one".utf8))
        let latest = try path(tree, "OBPROXY_INSTALL_PACKAGE", "el7", "x86_64", "latest")
        let sha1 = try tree.readdir(try path(tree, "by-sha1")).map(\.name)
        let bySHA1 = try path(tree, "by-sha1", sha1[0])
        XCTAssertEqual(try tree.readlink(latest), "4.2.0")
        XCTAssertEqual(try tree.readlink(latest), "4.2.0", "the second answer comes from the memo")
        XCTAssertEqual(try tree.readlink(bySHA1), "../OBPROXY_INSTALL_PACKAGE/el7/x86_64/4.2.0/obproxy-ce-4.2.0-7.el7.x86_64")

        try upload(tree, "obproxy-ce-4.3.0-1.el7.x86_64.bin", Array("two".utf8))
        XCTAssertEqual(try tree.readlink(latest), "4.3.0", "an upload moves latest at once")
        // The same bytes under a second name: the digest link stays with the first upload.
        try upload(tree, "obproxy-ce-4.1.0-1.el7.x86_64.bin", Array("one".utf8))
        XCTAssertEqual(try tree.readlink(bySHA1), "../OBPROXY_INSTALL_PACKAGE/el7/x86_64/4.2.0/obproxy-ce-4.2.0-7.el7.x86_64")

        let newest = try path(tree, "OBPROXY_INSTALL_PACKAGE", "el7", "x86_64", "4.3.0")
        try tree.rmdir(parent: newest, name: "obproxy-ce-4.3.0-1.el7.x86_64", caller: owner)
        XCTAssertEqual(try tree.readlink(latest), "4.2.0", "a delete moves latest back")
        // Deleting the later upload of the same bytes leaves the digest link where it was.
        let byID = try path(tree, "by-id", "3")
        XCTAssertEqual(try tree.readlink(byID), "../OBPROXY_INSTALL_PACKAGE/el7/x86_64/4.1.0/obproxy-ce-4.1.0-1.el7.x86_64")
        try tree.rmdir(parent: try path(tree, "OBPROXY_INSTALL_PACKAGE", "el7", "x86_64", "4.1.0"),
                       name: "obproxy-ce-4.1.0-1.el7.x86_64", caller: owner)
        XCTAssertEqual(try tree.readlink(bySHA1), "../OBPROXY_INSTALL_PACKAGE/el7/x86_64/4.2.0/obproxy-ce-4.2.0-7.el7.x86_64")
        XCTAssertThrowsError(try tree.readlink(byID), "by-id of a deleted package leads nowhere")
        XCTAssertEqual(try tree.readlink(latest), "4.2.0", "another version's delete leaves latest")
    }

    func testErrnoForRefusals() throws {
        let tree = try makeTree()
        try upload(tree, "x-1.0.bin", [1, 2, 3])
        XCTAssertThrowsError(try upload(tree, "x-1.0.bin", [4, 5, 6])) { XCTAssertEqual(($0 as? FSError)?.errno, EEXIST) }
        XCTAssertThrowsError(try upload(tree, "y-1.0-1.el7.x86_64.rpm", [7, 8, 9])) { XCTAssertEqual(($0 as? FSError)?.errno, EIO) }
        XCTAssertThrowsError(try upload(tree, "z-1.0.bin", [1], as: stranger)) { XCTAssertEqual(($0 as? FSError)?.errno, EACCES) }
        XCTAssertThrowsError(try tree.create(parent: InodeTable.rootIno, name: "elsewhere", mode: 0o644, flags: O_WRONLY, caller: owner)) {
            XCTAssertEqual(($0 as? FSError)?.errno, EACCES)
        }
        let state = try path(tree, "GENERIC_PACKAGE", "unknown", "unknown", "1.0", "x-1.0", "state")
        let writer = try tree.open(state, flags: O_WRONLY, caller: owner)
        XCTAssertThrowsError(try Array("verifying\n".utf8).withUnsafeBytes {
            try tree.write(state, handle: writer.handle, offset: 0, data: $0, caller: owner)
        }) { XCTAssertEqual(($0 as? FSError)?.errno, EINVAL) }
        tree.release(state, handle: writer.handle)
    }
}
