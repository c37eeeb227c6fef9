import Foundation
import TestSupport
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

    /// What a `kill -9` between moving an upload's blob into place and the catalog commit
    /// leaves (the crash test hits it about once in 20 cycles): a blob no package refers to and
    /// the store's note about it in tmp/. The next mount frees exactly that blob; a note about
    /// a blob a package does refer to changes nothing.
    func testBlobOfAnInterruptedRegistrationIsFreedAtTheNextMount() throws {
        let m = try MountedStore.make(self)
        let kept = TarPackages.make(m.root + "/kept-1.0-1.el9.x86_64.tar.gz", content: "kept")
        XCTAssertTrue(m.sh("cp \(kept) $M/incoming/").ok, m.log)
        let keptSHA = m.sh("sha256sum \(kept) | cut -d' ' -f1").trimmed
        try m.killDaemon()

        // The leftovers of the interrupted registration, as Ingest leaves them.
        let orphan = String(repeating: "ab", count: 32)
        Shell.run("""
            mkdir -p $S/blobs/sha256/ab && printf 'never registered' > $S/blobs/sha256/ab/\(orphan) \
            && touch $S/tmp/pending-blob-\(orphan)-0a1b2c3d $S/tmp/pending-blob-\(keptSHA)-4e5f6a7b
            """, environment: ["S": m.store])
        XCTAssertEqual(m.blobCount, 2)

        let again = m.pkgfs("mount --store \(Shell.quote(m.store)) \(Shell.quote(m.mountPoint))")
        XCTAssertTrue(again.ok, again.stdout + again.stderr)
        XCTAssertTrue((again.stderr + m.log).contains("freed 1 blob(s) an earlier run left unreferenced"), again.stderr + m.log)
        XCTAssertEqual(m.blobCount, 1, m.sh("find $S/blobs -type f").stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: m.store + "/blobs/sha256/ab/" + orphan))
        XCTAssertEqual(m.temporaryFiles, [])
        XCTAssertTrue(m.sh("cmp \(kept) $M/by-id/1/$(basename \(kept))").ok, "the registered package keeps its bytes")
        m.unmount()
        let check = m.pkgfs("check --store \(Shell.quote(m.store))")
        XCTAssertTrue(check.ok, check.stdout + check.stderr)
    }
}
