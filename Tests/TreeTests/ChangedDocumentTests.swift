import Foundation
import PkgfsFUSE
import PkgfsStore
@testable import PkgfsTree
import TestSupport
import XCTest

/// meta.json changes as a file replaced by rename does: the name leads to a new inode, and the
/// old one keeps the bytes and the size the kernel was shown to those who opened it. Before, the
/// inode's content changed under a read the kernel had already sized, and a reader could get
/// the new document cut at the old size.
final class ChangedDocumentTests: TemporaryRootTestCase {
    let owner = PackageTree.testOwner
    let fileName = "obproxy-ce-4.2.0-7.el7.x86_64.bin"
    let packagePath = ["OBPROXY_INSTALL_PACKAGE", "el7", "x86_64", "4.2.0", "obproxy-ce-4.2.0-7.el7.x86_64"]

    /// A tree that tells `notifier` what to invalidate, holding one package; its directory's inode.
    func treeWithPackage() throws -> (PackageTree, RecordingNotifier, UInt64) {
        let tree = PackageTree.forTests(try Repository(root: root))
        let notifier = RecordingNotifier()
        tree.mounted(notifier: notifier)
        try tree.upload(fileName, Array("payload".utf8))
        return (tree, notifier, try tree.ino(at: packagePath))
    }

    func read(_ tree: PackageTree, _ ino: UInt64, handle: UInt64) throws -> [UInt8] {
        defer { tree.release(ino, handle: handle) }
        return try tree.read(ino, handle: handle, offset: 0, size: 1 << 20)
    }

    func json(_ document: [UInt8]) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(document)) as? [String: Any])
    }

    func labels(_ document: [UInt8]) throws -> [[String: String]] {
        let metadata = try XCTUnwrap(try json(document)["metadata"] as? [String: Any])
        return try XCTUnwrap(metadata["labels"] as? [[String: String]])
    }

    func setState(_ tree: PackageTree, _ pkg: UInt64, _ word: String) throws {
        let state = try tree.lookup(parent: pkg, name: "state").attributes.ino
        let handle = try tree.open(state, flags: O_WRONLY, caller: owner).handle
        _ = try Array(word.utf8).withUnsafeBytes { try tree.write(state, handle: handle, offset: 0, data: $0, caller: owner) }
        tree.release(state, handle: handle)
        tree.forget(state, count: 1)
    }

    func testAChangedPackageKeepsWhatItsOldMetaJSONShowedToThoseWhoOpenedIt() throws {
        let (tree, notifier, pkg) = try treeWithPackage()
        let oldMeta = try tree.lookup(parent: pkg, name: "meta.json").attributes
        let state = try tree.lookup(parent: pkg, name: "state").attributes
        // Opened, not read yet: the reads come after the change, as in the race this replaces.
        let opened = try tree.open(oldMeta.ino, flags: O_RDONLY, caller: owner)
        let openedState = try tree.open(state.ino, flags: O_RDONLY, caller: owner)
        XCTAssertTrue(opened.keepCache)
        XCTAssertTrue(openedState.directIO, "echo > state changes the size the kernel holds for it")
        _ = (notifier.takeEntries(), notifier.takeInodes())

        try tree.setxattr(pkg, name: "user.label.release", value: Array("candidate".utf8), flags: 0, caller: owner)
        try setState(tree, pkg, "corrupt")

        let oldBytes = try read(tree, oldMeta.ino, handle: opened.handle)
        XCTAssertEqual(oldBytes.count, Int(oldMeta.size), "the old inode reads whole at the size it was shown")
        XCTAssertEqual(try labels(oldBytes).count, 0)
        XCTAssertEqual(try json(oldBytes)["packageState"] as? String, "available")
        XCTAssertEqual(try tree.getattr(oldMeta.ino).attributes.size, oldMeta.size)
        XCTAssertEqual(try read(tree, state.ino, handle: openedState.handle), Array("available\n".utf8))
        XCTAssertEqual(tree.metaCache.supersededCount, 1, "the old document is kept while the kernel holds its inode")

        // Opened after the change through the old inode (its name not dropped yet): refused, so
        // the kernel looks the name up again.
        XCTAssertThrowsError(try tree.open(oldMeta.ino, flags: O_RDONLY, caller: owner)) { error in
            XCTAssertEqual((error as? FSError)?.errno, ESTALE)
        }
        let newMeta = try tree.lookup(parent: pkg, name: "meta.json").attributes
        XCTAssertNotEqual(newMeta.ino, oldMeta.ino)
        let newOpen = try tree.open(newMeta.ino, flags: O_RDONLY, caller: owner)
        XCTAssertTrue(newOpen.keepCache)
        let newBytes = try read(tree, newMeta.ino, handle: newOpen.handle)
        XCTAssertEqual(newBytes.count, Int(newMeta.size))
        XCTAssertEqual(try labels(newBytes), [["name": "release", "value": "candidate"]])
        XCTAssertEqual(try json(newBytes)["packageState"] as? String, "corrupt")
        XCTAssertEqual(try read(tree, state.ino, handle: try tree.open(state.ino, flags: O_RDONLY, caller: owner).handle),
                       Array("corrupt\n".utf8))

        XCTAssertEqual(notifier.takeEntries(), [RecordingNotifier.Name(parent: pkg, name: "meta.json")],
                       "the name is dropped so the kernel looks up the new inode")
        let inodes = notifier.takeInodes()
        XCTAssertFalse(inodes.contains(oldMeta.ino), "the old inode's pages and size stay right and are kept")
        XCTAssertTrue(inodes.contains(state.ino), "state's size follows the state")

        tree.forget(oldMeta.ino, count: 1)
        XCTAssertEqual(tree.metaCache.supersededCount, 0, "forgotten by the kernel, the old document goes")
    }

    /// The kernel's retry after ESTALE opens the inode it just looked up; if the package changed
    /// again in between, refusing that too would reach the caller: it reads the document it
    /// looked up, as new as the open. (The timing rules are `MetaCacheTests`'.)
    func testARetriedOpenThatRacedAnotherChangeReadsWhatItLookedUp() throws {
        let (tree, _, pkg) = try treeWithPackage()
        let first = try tree.lookup(parent: pkg, name: "meta.json").attributes
        try tree.setxattr(pkg, name: "user.label.round", value: Array("1".utf8), flags: 0, caller: owner)
        XCTAssertThrowsError(try tree.open(first.ino, flags: O_RDONLY, caller: owner))
        let retried = try tree.lookup(parent: pkg, name: "meta.json").attributes
        try tree.setxattr(pkg, name: "user.label.round", value: Array("22".utf8), flags: 0, caller: owner)
        let opened = try tree.open(retried.ino, flags: O_RDONLY, caller: owner)
        let bytes = try read(tree, retried.ino, handle: opened.handle)
        XCTAssertEqual(bytes.count, Int(retried.size))
        XCTAssertEqual(try labels(bytes), [["name": "round", "value": "1"]])
        XCTAssertThrowsError(try tree.open(retried.ino, flags: O_RDONLY, caller: owner), "only the retry") { error in
            XCTAssertEqual((error as? FSError)?.errno, ESTALE)
        }
    }

    /// A package deleted under open files: as files removed on disk, each still reads and shows
    /// what it was opened on, until the kernel forgets it; its names are gone.
    func testADeletedPackagesOpenFilesShowWhatTheyShowed() throws {
        let (tree, notifier, pkg) = try treeWithPackage()
        let files = try ["meta.json", "state", fileName].map { try tree.lookup(parent: pkg, name: $0).attributes }
        let opened = try files.map { try tree.open($0.ino, flags: O_RDONLY, caller: owner) }
        _ = (notifier.takeEntries(), notifier.takeInodes())

        try tree.rmdir(parent: try tree.ino(at: Array(packagePath.dropLast())), name: packagePath.last!, caller: owner)
        XCTAssertThrowsError(try tree.lookup(parent: pkg, name: "meta.json"))
        XCTAssertTrue(Set(["meta.json", "state", fileName]).isSubset(of: notifier.takeEntries().map(\.name)), "the names are dropped")
        XCTAssertFalse(notifier.takeInodes().contains(files[0].ino), "meta.json's pages and size stay right")
        XCTAssertEqual(notifier.takeAttributes(), [files[0].ino], "its link count does not")
        XCTAssertEqual(tree.metaCache.supersededCount, 1)

        for (file, open) in zip(files, opened) {
            XCTAssertEqual(try tree.getattr(file.ino).attributes.size, file.size)
            XCTAssertEqual(try tree.getattr(file.ino).attributes.nlink, 0)
            XCTAssertEqual(try read(tree, file.ino, handle: open.handle).count, Int(file.size))
        }
        XCTAssertThrowsError(try tree.getattr(pkg), "the directory is gone")
        XCTAssertThrowsError(try tree.open(files[0].ino, flags: O_RDONLY, caller: owner), "a new open looks the name up") { error in
            XCTAssertEqual((error as? FSError)?.errno, ESTALE)
        }
        tree.forget(files[0].ino, count: 1)
        XCTAssertEqual(tree.metaCache.supersededCount, 0, "forgotten by the kernel, the document goes")
    }
}

final class MetaCacheTests: XCTestCase {
    func testASupersededDocumentOutlivesNewerOnesUntilTheKernelForgetsIt() {
        let cache = MetaCache(documents: 2, sizes: 2)
        XCTAssertFalse(cache.supersede(1, version: 9), "never rendered: nothing to keep")
        XCTAssertTrue(cache.refusesOpen(1, version: 9, task: 1))
        cache.store([1, 2, 3], for: 1, version: 10)
        XCTAssertTrue(cache.supersede(1, version: 10))
        for version in 11...20 { cache.store([9], for: 1, version: Double(version)) }
        XCTAssertEqual(cache.bytes(for: 1, version: 10), [1, 2, 3])
        XCTAssertEqual(cache.size(for: 1, version: 10), 3)
        XCTAssertEqual(cache.size(for: 1, version: 20), 1)
        XCTAssertFalse(cache.refusesOpen(1, version: 20, task: 1))
        cache.forgetSuperseded(1, version: 10)
        cache.forgetSuperseded(1, version: 9)
        XCTAssertNil(cache.bytes(for: 1, version: 10))
        XCTAssertEqual(cache.supersededCount, 0)
    }

    /// Big documents are kept a few at a time and the biggest not at all, whatever the count
    /// allows: each label change of a 20 MB document made another version the daemon kept.
    func testBigDocumentsAreKeptAFewAtATime() {
        let cache = MetaCache(documents: 4096, sizes: 4096)
        let big = [UInt8](repeating: 0x20, count: MetaCache.smallDocument + 1)
        for version in 1...100 { cache.store(big, for: 1, version: Double(version)) }
        let kept = (1...100).filter { cache.bytes(for: 1, version: Double($0)) != nil }
        XCTAssertTrue((4...8).contains(kept.count) && kept.contains(100), "\(kept)")
        XCTAssertEqual(cache.size(for: 1, version: 100), big.count, "its size is still known")
        cache.store([UInt8](repeating: 0x20, count: MetaCache.largestKept + 1), for: 2, version: 1)
        XCTAssertNil(cache.bytes(for: 2, version: 1))
        XCTAssertEqual(cache.size(for: 2, version: 1), MetaCache.largestKept + 1)
        cache.store([1], for: 3, version: 1)
        XCTAssertEqual(cache.bytes(for: 3, version: 1), [1], "small ones as before")
    }

    /// Only the open that follows a retry's lookup is let through; an open through a name the
    /// kernel kept from earlier is refused, whenever it was looked up.
    func testOnlyTheKernelsRetryOfARefusedOpenIsLetThrough() {
        let cache = MetaCache()
        let t0 = ContinuousClock.now
        for version in [1.0, 2, 3] {
            cache.store([1], for: 7, version: version)
            _ = cache.supersede(7, version: version)
        }
        cache.lookedUp(7, version: 2, task: 100, now: t0)
        XCTAssertTrue(cache.refusesOpen(7, version: 2, task: 100, now: t0 + .microseconds(100)), "looked up with no refusal before it")
        XCTAssertTrue(cache.refusesOpen(7, version: 1, task: 100, now: t0 + .milliseconds(1)))
        XCTAssertTrue(cache.refusesOpen(7, version: 1, task: 101, now: t0 + .milliseconds(1)))
        cache.lookedUp(7, version: 2, task: 100, now: t0 + .milliseconds(2))
        cache.lookedUp(7, version: 2, task: 101, now: t0 + .milliseconds(2))
        XCTAssertFalse(cache.refusesOpen(7, version: 2, task: 100, now: t0 + .milliseconds(3)))
        XCTAssertFalse(cache.refusesOpen(7, version: 2, task: 101, now: t0 + .milliseconds(3)), "two readers retrying")
        XCTAssertTrue(cache.refusesOpen(7, version: 2, task: 100, now: t0 + .milliseconds(4)), "the lookups' opens are done")
        cache.lookedUp(7, version: 3, task: 100, now: t0 + .milliseconds(10))
        XCTAssertTrue(cache.refusesOpen(7, version: 3, task: 100, now: t0 + .seconds(2)), "an open long after the lookup is not its retry")
        cache.lookedUp(7, version: 3, task: 100, now: t0 + .seconds(4))
        XCTAssertTrue(cache.refusesOpen(7, version: 3, task: 100, now: t0 + .seconds(4)), "a lookup long after the refusal is not its retry")
        XCTAssertFalse(cache.refusesOpen(8, version: 3, task: 100, now: t0), "another package")
        XCTAssertFalse(cache.refusesOpen(7, version: 4, task: 100, now: t0), "a current version")
    }

    /// What CI once saw as one read in 300 with the label before the one just set: a reader whose
    /// open was refused looks the name up, resolves the old version just before a change and is
    /// answered just after; the writer, its `setxattr` returned, opens that old inode. That open
    /// is no retry of the reader's and is refused, so the kernel looks up the new version.
    func testAnotherTasksLookupIsNoRetryOfThisOpen() {
        let cache = MetaCache()
        let t0 = ContinuousClock.now
        let (reader, writer): (Int32, Int32) = (200, 300)
        cache.store([1], for: 7, version: 139)
        _ = cache.supersede(7, version: 139)
        XCTAssertTrue(cache.refusesOpen(7, version: 139, task: reader, now: t0))
        cache.store([2], for: 7, version: 140)
        cache.lookedUp(7, version: 140, task: reader, now: t0 + .milliseconds(1))
        _ = cache.supersede(7, version: 140)
        XCTAssertTrue(cache.refusesOpen(7, version: 140, task: writer, now: t0 + .milliseconds(2)),
                      "the writer, after its change, is refused the version before it")
        XCTAssertFalse(cache.refusesOpen(7, version: 140, task: reader, now: t0 + .milliseconds(2)),
                       "the reader's retry opens what it looked up")
    }
}
