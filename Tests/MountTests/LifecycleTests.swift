import Foundation
import TestSupport
import XCTest

/// Mounting, unmounting and the messages a user sees when something is off.
final class LifecycleTests: XCTestCase {
    func testSIGTERMUnmountsCleanly() throws {
        let m = try MountedStore.make(self)
        let pid = try XCTUnwrap(m.daemonPID)
        // An upload still being written is not registered; the log names it.
        let writer = try BackgroundShell("""
            python3 -c 'import os, time
            fd = os.open("'$M'/incoming/halfway-1.0-1.el7.x86_64.bin", os.O_WRONLY | os.O_CREAT)
            os.write(fd, b"x" * 1000)
            open("written", "w").close()
            time.sleep(60)'
            """, in: m.root, environment: ["M": m.mountPoint], test: self)
        XCTAssertTrue(m.waitUntil(timeout: 30) { access(m.root + "/written", F_OK) == 0 }, writer.output)
        XCTAssertEqual(kill(pid, SIGTERM), 0)
        var gone = false
        for _ in 0..<200 {
            if !m.sh("grep -qs ' \(m.mountPoint) ' /proc/mounts").ok && kill(pid, 0) != 0 { gone = true; break }
            usleep(50_000)
        }
        XCTAssertTrue(gone, "SIGTERM must unmount and exit")
        XCTAssertTrue(m.sh("ls $M").ok, "no stale 'Transport endpoint is not connected' mount left")
        XCTAssertTrue(m.log.contains("unmounting"), m.log)
        XCTAssertTrue(m.log.contains("1 upload(s) still being written are not registered; upload them again: "
                                     + "halfway-1.0-1.el7.x86_64.bin (1000 bytes)"), m.log)
        writer.stop()
        try m.mount()
        XCTAssertTrue(m.sh("test -d $M/incoming").ok)
    }

    func testClearErrors() throws {
        let m = try MountedStore.make(self)
        let twice = m.pkgfs("mount --store \(m.root)/other \(m.mountPoint)")
        XCTAssertFalse(twice.ok)
        XCTAssertTrue(twice.stderr.contains("already mounted"), twice.stderr)
        let sameStore = m.pkgfs("mount --store \(m.store) \(m.root)/mnt2")
        XCTAssertFalse(sameStore.ok)
        XCTAssertTrue(sameStore.stderr.contains("in use by another pkgfs process"), sameStore.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(m.root)/mnt2"), "the mount point it made is not left behind")
        Shell.run("touch \(m.root)/afile")
        let onFile = m.pkgfs("mount --store \(m.root)/s3 \(m.root)/afile")
        XCTAssertFalse(onFile.ok)
        XCTAssertTrue(onFile.stderr.contains("not a directory"), onFile.stderr)
        let badGroup = m.pkgfs("mount --group no-such-group-here \(m.root)/mnt3")
        XCTAssertFalse(badGroup.ok)
        XCTAssertTrue(badGroup.stderr.contains("group 'no-such-group-here' does not exist"), badGroup.stderr)
        let notMounted = m.pkgfs("unmount \(m.root)")
        XCTAssertFalse(notMounted.ok)
        XCTAssertTrue(notMounted.stderr.contains("is not mounted"), notMounted.stderr)
        let missing = m.pkgfs("unmount \(m.root)/no-such-dir")
        XCTAssertFalse(missing.ok)
        XCTAssertTrue(missing.stderr.contains("no-such-dir does not exist"), missing.stderr)
        Shell.run("mkdir -p \(m.root)/s6 && echo '{\"rules\": [{\"pattern\": \"*x*\"}]}' > \(m.root)/s6/type-rules.json")
        let badRules = m.pkgfs("mount --store \(m.root)/s6 \(m.root)/mnt6")
        XCTAssertFalse(badRules.ok)
        XCTAssertTrue(badRules.stderr.contains("type-rules.json is not valid: at rules[0]: \"type\" is missing"), badRules.stderr)
        let help = m.pkgfs("--help")
        for word in ["mount", "unmount", "check"] { XCTAssertTrue(help.stdout.contains(word), help.stdout) }
        let version = m.pkgfs("--version")
        XCTAssertTrue(version.ok, version.stderr)
        XCTAssertTrue(version.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, version.stdout)
        XCTAssertTrue(m.log.contains("pkgfs \(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) serving"), "a mount logs its version")
        let typo = m.pkgfs("check --store \(m.root)/no-such-store")
        XCTAssertFalse(typo.ok)
        XCTAssertTrue(typo.stderr.contains("no store at"), typo.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(m.root)/no-such-store"), "a check creates no store")
    }

    /// Run as root, fusermount3 unmounts whatever it is given: pkgfs only touches its own mounts.
    func testOtherFilesystemsAreNeitherUnmountedNorMountedOver() throws {
        let m = try MountedStore.make(self)
        let other = "\(m.root)/tmpfs"
        XCTAssertTrue(Shell.run("mkdir -p \(other) && mount -t tmpfs pkgfs-test \(other)").ok)
        defer { Shell.run("umount \(other)") }
        let unmount = m.pkgfs("unmount \(other)")
        XCTAssertFalse(unmount.ok)
        XCTAssertTrue(unmount.stderr.contains("is a tmpfs mount, not pkgfs; nothing was unmounted"), unmount.stderr)
        XCTAssertTrue(Shell.run("mountpoint -q \(other)").ok, "the tmpfs is still mounted")
        let mount = m.pkgfs("mount --store \(m.root)/s4 \(other)")
        XCTAssertFalse(mount.ok)
        XCTAssertTrue(mount.stderr.contains("already mounted (tmpfs); choose another mount point"), mount.stderr)

        // Mounting over files hides them: allowed (as mount(8) allows it), and said.
        let full = "\(m.root)/full"
        XCTAssertTrue(Shell.run("mkdir -p \(full) && touch \(full)/a \(full)/b").ok)
        let over = m.pkgfs("mount --store \(m.root)/s5 \(full)")
        defer { _ = m.pkgfs("unmount \(full)") }
        XCTAssertTrue(over.ok, over.stderr)
        XCTAssertTrue(over.stderr.contains("is not empty; its 2 entries are hidden while pkgfs is mounted there"), over.stderr)
    }

    func testCheckCommandVerifiesTheStore() throws {
        let m = try MountedStore.make(self)
        Shell.run("tar czf \(m.root)/chk-1.0-1.el7.x86_64.tar.gz -C /etc hostname")
        XCTAssertTrue(m.sh("cp chk-1.0-1.el7.x86_64.tar.gz $M/incoming/").ok)
        m.unmount()
        let check = m.pkgfs("check --store \(m.store)")
        XCTAssertTrue(check.ok, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("catalog: ok"), check.stdout)
        XCTAssertTrue(check.stdout.contains("blobs verified: 1, problems: 0"), check.stdout)
        Shell.run("for f in \(m.store)/blobs/sha256/*/*; do printf 'X' | dd of=$f bs=1 seek=3 conv=notrunc 2>/dev/null; done")
        let damaged = m.pkgfs("check --store \(m.store)")
        XCTAssertFalse(damaged.ok)
        XCTAssertTrue(damaged.stdout.contains("chk-1.0-1.el7.x86_64.tar.gz (id 1): blob "), damaged.stdout)
        XCTAssertTrue(damaged.stdout.contains("hashes to"), damaged.stdout)
    }

    /// Every kind of damage is reported, each naming its package, and the check goes on past
    /// one it cannot read (it stopped at the first with "Is a directory").
    func testCheckReportsEveryProblemAndGoesOn() throws {
        let m = try MountedStore.make(self)
        for name in ["dir", "gone", "short", "fine"] {
            Shell.run("mkdir -p \(m.root)/\(name) && head -c 5000 /dev/urandom > \(m.root)/\(name)/f && tar czf \(m.root)/\(name)-1.0-1.el7.x86_64.tar.gz -C \(m.root)/\(name) f")
            XCTAssertTrue(m.sh("cp \(name)-1.0-1.el7.x86_64.tar.gz $M/incoming/").ok, m.log)
        }
        func blob(_ name: String) -> String {
            let sha = m.sh("getfattr --only-values -n user.pkgfs.sha256 $M/incoming/\(name)-1.0-1.el7.x86_64.tar.gz/").stdout
            return "\(m.store)/blobs/sha256/\(sha.prefix(2))/\(sha)"
        }
        let (dir, gone, short) = (blob("dir"), blob("gone"), blob("short"))
        m.unmount()
        Shell.run("rm \(dir) && mkdir \(dir) && rm \(gone) && truncate -s 10 \(short) && touch \(m.store)/blobs/sha256/00/stray.txt")
        let check = m.pkgfs("check --store \(m.store)")
        XCTAssertFalse(check.ok)
        for line in ["dir-1.0-1.el7.x86_64.tar.gz (id 1): blob \(dir) is not a regular file",
                     "gone-1.0-1.el7.x86_64.tar.gz (id 2): blob \(gone) is missing",
                     "short-1.0-1.el7.x86_64.tar.gz (id 3): blob \(short) holds 10 bytes",
                     "\(m.store)/blobs/sha256/00/stray.txt: not a blob",
                     "blobs verified: 1, problems: 4"] {
            XCTAssertTrue(check.stdout.contains(line), "\(line) in \(check.stdout)")
        }
    }
}
