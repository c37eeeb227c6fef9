@testable import PkgfsFUSE
import XCTest

final class FuseConnectionTests: XCTestCase {
    /// The mount table is searched by the path's text: resolving it would stat the mount.
    func testPathsAreMadeAbsoluteByTheirTextAlone() {
        XCTAssertEqual(FuseConnection.lexicallyAbsolute("/tmp//a/./b/../mnt/"), "/tmp/a/mnt")
        XCTAssertEqual(FuseConnection.lexicallyAbsolute("/.."), "/")
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertEqual(FuseConnection.lexicallyAbsolute("mnt"), (cwd == "/" ? "" : cwd) + "/mnt")
    }

    func testNoMountIsNoAbort() {
        XCTAssertFalse(FuseConnection.abortIfOrphaned("/no/such/mount/point"))
        XCTAssertNil(FuseConnection.pkgfsMount(at: "/proc"), "not a pkgfs mount")
    }
}
