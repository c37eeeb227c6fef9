import Foundation
import XCTest

/// SPEC §4 durability: `kill -9` of the daemon while uploads are in flight loses no registered
/// package, leaves no half-registered one and no temp file, and the store checks clean.
/// The short form of `scripts/crash-test` (the long form runs 100+ cycles).
final class CrashTests: XCTestCase {
    func testThreeKillNineCyclesDuringUploads() throws {
        guard access("/dev/fuse", R_OK | W_OK) == 0 else {
            throw XCTSkip("/dev/fuse is absent here: the crash test needs FUSE")
        }
        let script = crashTestPackageRoot + "/scripts/crash-test"
        let binary = MountedStore.locateBinary()
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary), "no pkgfs at \(binary)")
        // Smaller large packages than the long form, so the three cycles stay well under a minute.
        let result = Shell.run("\(Shell.quote(script)) --iterations 3 --large-mib 24:64 --max-delay-ms 2500",
                               environment: ["PKGFS_BIN": binary])
        let output = result.stdout + result.stderr
        XCTAssertEqual(result.status, 0, output)
        XCTAssertFalse(output.contains("VIOLATION"), output)
        XCTAssertTrue(output.contains("survived 3/3 iterations"), output)
        // Every cycle went through the stale mount recovery and a clean `pkgfs check`.
        XCTAssertEqual(output.components(separatedBy: "kill -9 after").count - 1, 3, output)
        XCTAssertEqual(output.components(separatedBy: "problems: 0").count - 1, 3, output)
    }
}
