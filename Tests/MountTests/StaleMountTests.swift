import Foundation
import TestSupport
import XCTest

/// After `kill -9` the mount point is stale ("Transport endpoint is not connected");
/// `pkgfs mount` on it says so, clears it, and serves everything that was registered.
final class StaleMountTests: XCTestCase {
    func testMountAfterKillNineRecoversTheStaleMountPoint() throws {
        let m = try MountedStore.make(self)
        let rpm = try TestPackages.rpm(name: "stale-agent", version: "2.0.1", release: "7.el8", in: m.root)
        let tgz = TarPackages.make(m.root + "/stale-tool-1.4-2.el8.x86_64.tar.gz", content: "stale tool")
        XCTAssertTrue(m.sh("cp \(Shell.quote(rpm)) \(Shell.quote(tgz)) $M/incoming/").ok, m.log)
        let listing = m.sh("cd $M && find . | sort").stdout
        let meta = m.sh("cat $M/by-id/1/meta.json $M/by-id/2/meta.json").stdout
        XCTAssertFalse(listing.isEmpty)

        // An upload in flight when the daemon dies: bytes written, not closed. cp opens the
        // file itself (a shell redirection's dup2 + close would be a flush, which registers).
        let writer = try BackgroundShell(
            "{ head -c 3145728 /dev/urandom; sleep 600; } | cp /dev/stdin \"$M/incoming/inflight-1.0-1.el8.x86_64.bin\"",
            in: m.root, environment: ["M": m.mountPoint], test: self)
        XCTAssertTrue(m.waitUntil(timeout: 30) { m.inFlightBytes >= 3_145_728 }, "the upload never reached the store: \(writer.output)")

        try m.killDaemon()
        // statfs always reaches the daemon (a listing may still come from the kernel's cache).
        let dead = m.sh("stat -f $M")
        XCTAssertFalse(dead.ok)
        XCTAssertTrue(dead.stderr.contains("Transport endpoint is not connected"), dead.stderr)
        XCTAssertEqual(m.temporaryFiles.count, 1, "the unfinished upload is still in tmp/ before the remount")
        writer.stop()

        let again = m.pkgfs("mount --store \(Shell.quote(m.store)) \(Shell.quote(m.mountPoint))")
        XCTAssertTrue(again.ok, "remount over the stale mount point failed: \(again.stdout)\(again.stderr)")
        XCTAssertTrue(again.stderr.contains("is a stale mount of a process that died"), again.stderr)
        XCTAssertTrue(again.stderr.contains("Transport endpoint is not connected"), again.stderr)
        XCTAssertTrue(again.stdout.contains("mounted"), again.stdout)
        XCTAssertTrue(m.sh("grep -qs ' \(m.mountPoint) fuse.pkgfs ' /proc/mounts").ok, "mounted again")
        XCTAssertEqual(m.sh("grep -c ' \(m.mountPoint) ' /proc/mounts").trimmed, "1", "one mount, not stacked on the dead one")

        // Everything registered is there, the same, and the crashed upload left nothing.
        XCTAssertEqual(m.sh("cd $M && find . | sort").stdout, listing)
        XCTAssertEqual(m.sh("cat $M/by-id/1/meta.json $M/by-id/2/meta.json").stdout, meta)
        XCTAssertTrue(m.sh("cmp \(Shell.quote(rpm)) $M/by-id/1/$(basename \(Shell.quote(rpm)))").ok)
        XCTAssertTrue(m.sh("cmp \(Shell.quote(tgz)) $M/by-id/2/$(basename \(Shell.quote(tgz)))").ok)
        XCTAssertEqual(m.temporaryFiles, [], "no stray temp files after the remount")
        XCTAssertFalse(m.sh("test -e $M/incoming/inflight-1.0-1.el8.x86_64.bin").ok, "the crashed upload is not registered")
        // Said by whoever opens the store first after the crash: here the mount command itself.
        XCTAssertTrue((again.stderr + m.log).contains("removed 1 unfinished upload(s) left by an earlier run"), again.stderr + m.log)

        // The store is sound and the remounted filesystem takes uploads.
        let next = TarPackages.make(m.root + "/after-crash-1.0-1.el8.x86_64.tar.gz", content: "after")
        XCTAssertTrue(m.sh("cp \(Shell.quote(next)) $M/incoming/").ok, m.log)
        XCTAssertEqual(m.packageIDs, [1, 2, 3])
        m.unmount()
        let check = m.pkgfs("check --store \(Shell.quote(m.store))")
        XCTAssertTrue(check.ok, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("catalog: ok"), check.stdout)
        XCTAssertTrue(check.stdout.contains("packages: 3, blobs verified: 3, problems: 0"), check.stdout)
    }

    func testUnmountOfAStaleMountPointClearsIt() throws {
        let m = try MountedStore.make(self)
        try m.killDaemon()
        let unmount = m.pkgfs("unmount \(Shell.quote(m.mountPoint))")
        XCTAssertTrue(unmount.ok, unmount.stdout + unmount.stderr)
        XCTAssertFalse(m.sh("grep -qs ' \(m.mountPoint) ' /proc/mounts").ok, "nothing left mounted")
        XCTAssertTrue(m.sh("test -d $M && ! ls -A $M | grep -q .").ok, "a plain empty directory again")
    }
}
