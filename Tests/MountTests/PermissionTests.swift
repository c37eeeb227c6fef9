import Foundation
import TestSupport
import XCTest

/// OCP's PACKAGE_MANAGER permission (SPEC §4), checked with real commands run as other users.
final class PermissionTests: XCTestCase {
    static let group = "pkgfs-test-mgr"
    static let manager = "pkgfs-test-manager"
    static let reader = "pkgfs-test-reader"

    /// Creates the group and two users once (idempotent); needs root, as the mount tests do.
    func ensureAccounts() throws {
        guard getuid() == 0 else {
            XCTFail("permission tests create users and need root (CI runs as root)")
            throw XCTSkip("not root")
        }
        let setup = Shell.run("""
            getent group \(Self.group) >/dev/null || groupadd \(Self.group)
            id \(Self.manager) >/dev/null 2>&1 || useradd -M -N -s /bin/sh -G \(Self.group) \(Self.manager)
            id \(Self.reader) >/dev/null 2>&1 || useradd -M -N -s /bin/sh \(Self.reader)
            """)
        XCTAssertTrue(setup.ok, setup.stderr)
    }

    func run(as user: String, _ m: MountedStore, _ command: String) -> ShellResult {
        m.sh("runuser -u \(user) -- bash -c \(Shell.quote("cd /tmp && " + command))")
    }

    func testReadersReadManagersWrite() throws {
        try ensureAccounts()
        let m = try MountedStore.make(self, extra: "--group \(Self.group)")
        Shell.run("chmod 755 \(m.root) && mkdir -p \(m.root)/src && chmod 755 \(m.root)/src")
        Shell.run("tar czf \(m.root)/src/perm-1.0-1.el7.x86_64.tar.gz -C /etc hostname && tar czf \(m.root)/src/perm-2.0-1.el7.x86_64.tar.gz -C /etc passwd && chmod 644 \(m.root)/src/*")
        XCTAssertTrue(m.sh("cp src/perm-1.0-1.el7.x86_64.tar.gz $M/incoming/").ok, "the owner uploads")
        let dir = "\(m.mountPoint)/GENERIC_PACKAGE/el7/x86_64/1.0/perm-1.0-1.el7.x86_64"

        // Everyone reads.
        XCTAssertEqual(run(as: Self.reader, m, "cat \(dir)/state").stdout, "available\n")
        XCTAssertTrue(run(as: Self.reader, m, "jq -r .sha1 \(dir)/meta.json && cmp \(m.root)/src/perm-1.0-1.el7.x86_64.tar.gz \(dir)/perm-1.0-1.el7.x86_64.tar.gz").ok)
        XCTAssertTrue(run(as: Self.reader, m, "getfattr -d \(dir)").stdout.contains("user.pkgfs.sha256"))

        // A reader may change nothing.
        for command in ["cp \(m.root)/src/perm-2.0-1.el7.x86_64.tar.gz \(m.mountPoint)/incoming/",
                        "echo corrupt > \(dir)/state",
                        "setfattr -n user.label.team -v x \(dir)",
                        "rm \(dir)/perm-1.0-1.el7.x86_64.tar.gz",
                        "rmdir \(dir)"] {
            let result = run(as: Self.reader, m, command)
            XCTAssertFalse(result.ok, "\(command) must be refused for a reader")
            XCTAssertTrue(result.stderr.contains("Permission denied") || result.stderr.contains("Operation not permitted"),
                          "\(command): \(result.stderr)")
        }
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "available\n", "nothing changed")
        XCTAssertFalse(m.sh("test -e $M/GENERIC_PACKAGE/el7/x86_64/2.0").ok)

        // A member of the manager group may.
        let upload = run(as: Self.manager, m, "cp \(m.root)/src/perm-2.0-1.el7.x86_64.tar.gz \(m.mountPoint)/incoming/")
        XCTAssertTrue(upload.ok, upload.stderr + m.log)
        XCTAssertEqual(m.sh("jq -r .metadata.createdBy $M/GENERIC_PACKAGE/el7/x86_64/2.0/perm-2.0-1.el7.x86_64/meta.json").trimmed, Self.manager)
        XCTAssertTrue(run(as: Self.manager, m, "echo corrupt > \(dir)/state").ok)
        XCTAssertEqual(m.sh("jq -r .metadata.modifiedBy \(dir)/meta.json").trimmed, Self.manager)
        XCTAssertTrue(run(as: Self.manager, m, "setfattr -n user.label.team -v db \(dir)").ok)
        XCTAssertTrue(run(as: Self.manager, m, "rm \(dir)/perm-1.0-1.el7.x86_64.tar.gz").ok)
        XCTAssertFalse(m.sh("test -e \(dir)").ok)
    }

    /// `cp -p`, `cp -a` and `tar x` set times, mode and owner on the file they write: on an upload
    /// that is answered (the writer's own new file), not refused, so they succeed.
    func testCopiesThatPreserveAttributesUpload() throws {
        try ensureAccounts()
        let m = try MountedStore.make(self, extra: "--group \(Self.group)")
        Shell.run("chmod 755 \(m.root) && mkdir -p \(m.root)/src && chmod 755 \(m.root)/src")
        for version in ["1", "2", "3"] {
            Shell.run("tar czf \(m.root)/src/keep-\(version).0-1.el7.x86_64.tar.gz -C /etc hostname")
        }
        Shell.run("chmod 644 \(m.root)/src/* && mkdir -p \(m.root)/t && cp \(m.root)/src/keep-3.0-1.el7.x86_64.tar.gz \(m.root)/t/ && tar cf \(m.root)/bundle.tar -C \(m.root)/t .")
        let byManager = run(as: Self.manager, m, "cp -p \(m.root)/src/keep-1.0-1.el7.x86_64.tar.gz \(m.mountPoint)/incoming/")
        XCTAssertTrue(byManager.ok, "cp -p by a manager: \(byManager.stderr)")
        Shell.run("setfattr -n user.origin -v build42 \(m.root)/src/keep-2.0-1.el7.x86_64.tar.gz")
        let byRoot = m.sh("cp -a src/keep-2.0-1.el7.x86_64.tar.gz $M/incoming/")
        XCTAssertTrue(byRoot.ok, "cp -a by root with a manager group: \(byRoot.stderr)")
        let untar = m.sh("tar xf bundle.tar -C $M/incoming/")
        XCTAssertTrue(untar.ok, "tar x: \(untar.stderr)")
        XCTAssertTrue(m.sh("cat src/keep-1.0-1.el7.x86_64.tar.gz > $M/incoming/keep-4.0-1.el7.x86_64.tar.gz").ok)
        for version in ["1", "2", "3", "4"] {
            XCTAssertEqual(m.sh("cat $M/GENERIC_PACKAGE/el7/x86_64/\(version).0/keep-\(version).0-1.el7.x86_64/state").stdout, "available\n")
        }
        XCTAssertFalse(m.log.contains("no bytes written yet"), "an early flush of `cat >` or `tar x` is routine, not a notice")
        XCTAssertFalse(m.log.contains("setxattr"), "the attributes cp -a copies are answered, not logged as refusals: \(m.log)")
    }
}
