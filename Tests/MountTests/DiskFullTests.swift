import Foundation
import TestSupport
import XCTest

/// A full disk under the store (SPEC §4: a package is registered only after its bytes are
/// durable): the upload fails with ENOSPC (or EIO), nothing is registered, no temp file stays,
/// the mount stays up, and uploads work again once there is space.
final class DiskFullTests: XCTestCase {
    /// The store on a 64 MiB tmpfs this test mounts itself (root only).
    private func mountOnSmallTmpfs() throws -> MountedStore {
        guard getuid() == 0 else {
            throw XCTSkip("the full-disk test mounts a 64 MiB tmpfs for the store, which needs root")
        }
        let m = try MountedStore.make(self)
        m.unmount()
        Shell.run("rm -rf \(Shell.quote(m.store)) && mkdir -p \(Shell.quote(m.store))")
        let tmpfs = Shell.run("mount -t tmpfs -o size=64m pkgfs-test-tmpfs \(Shell.quote(m.store))")
        guard tmpfs.ok else { throw XCTSkip("cannot mount a tmpfs here: \(tmpfs.stderr)") }
        // Runs before MountedStore's own teardown (blocks run last-added first): pkgfs lets go
        // of the store, then the tmpfs goes.
        addTeardownBlock {
            if Shell.run("grep -qs ' \(m.mountPoint) ' /proc/mounts").ok { m.unmount() }
            Shell.run("umount \(Shell.quote(m.store)) || umount -l \(Shell.quote(m.store))")
        }
        try m.mount()
        return m
    }

    func testUploadBiggerThanTheDiskFailsCleanly() throws {
        let m = try mountOnSmallTmpfs()
        let big = "toolarge-1.0-1.el9.x86_64.bin"
        Shell.run("head -c 100M /dev/urandom > \(m.root)/\(big)")
        let cp = m.sh("cp \(big) $M/incoming/")
        XCTAssertFalse(cp.ok, "a 100 MiB upload onto a 64 MiB store cannot succeed")
        XCTAssertTrue(cp.stderr.contains("No space left on device") || cp.stderr.contains("Input/output error"), cp.stderr)

        // Nothing registered, nothing left behind, the mount still answers.
        XCTAssertEqual(m.packageIDs, [], "nothing is registered: \(m.sh("ls -R $M").stdout)\n\(m.log)")
        XCTAssertFalse(m.sh("test -e $M/GENERIC_PACKAGE").ok, m.sh("find $M/GENERIC_PACKAGE").stdout)
        XCTAssertFalse(m.sh("test -e $M/incoming/\(big)").ok, "no receipt, no upload left in incoming/")
        XCTAssertEqual(m.temporaryFiles, [], "no temp file remains")
        XCTAssertEqual(m.blobCount, 0)
        XCTAssertTrue(m.sh("ls $M && ls $M/incoming").ok, "the mount stays up")
        XCTAssertTrue(m.log.contains(big), "the refusal is logged with the file: \(m.log)")

        // Space is there again (the failed upload freed it): a small upload works.
        let small = TarPackages.make("\(m.root)/fits-1.0-1.el9.x86_64.tar.gz", content: "fits", extraBytes: 1_000_000)
        let retry = m.sh("cp \(small) $M/incoming/")
        XCTAssertTrue(retry.ok, "upload after the full disk: \(retry.stderr)\n\(m.log)")
        XCTAssertEqual(m.packageIDs, [1])
        XCTAssertTrue(m.sh("cmp \(small) $M/GENERIC_PACKAGE/el9/x86_64/1.0/fits-1.0-1.el9.x86_64/$(basename \(small))").ok)
        XCTAssertEqual(m.sh("cat $M/by-id/1/state").stdout, "available\n")
        m.unmount()
        let check = m.pkgfs("check --store \(Shell.quote(m.store))")
        XCTAssertTrue(check.ok, check.stdout + check.stderr)
    }

    /// incoming/ listed while an upload runs shows its name; once the upload failed the name is
    /// gone from the next listing too (the kernel cached the first one), not only from lookups.
    func testAFailedUploadLeavesTheListingOfIncoming() throws {
        let m = try mountOnSmallTmpfs()
        Shell.run("dd if=/dev/zero of=\(Shell.quote(m.store))/filler bs=1M count=200 status=none; " +
                  "truncate -s -1M \(Shell.quote(m.store))/filler")
        let name = "vanishing-1.0-1.el9.x86_64.bin"
        // As in testAWriteThatFailedIsNeverRegistered: only builtins touch the upload's
        // descriptor, since the close of any copy of it registers the upload.
        let writer = try BackgroundShell("""
            exec 2>>writer.err
            mkfifo pause && exec 4<>pause
            exec 1>&-
            exec 1>"$M/incoming/\(name)"
            exec 5>opened
            while [ ! -e may-write ]; do read -t 0.05 -u 4; done
            written=0
            while printf '%65536s' x; do
              written=$((written + 65536))
              [ $written -ge $((8 << 20)) ] && break
            done
            exec 1>&-
            """, in: m.root, environment: ["M": m.mountPoint], test: self)
        XCTAssertTrue(m.waitUntil(timeout: 60) { access(m.root + "/opened", F_OK) == 0 }, writer.output)
        XCTAssertEqual(m.sh("ls $M/incoming").stdout, name + "\n", "the upload is listed while it runs")
        _ = FileManager.default.createFile(atPath: m.root + "/may-write", contents: nil)
        XCTAssertTrue(writer.wait(timeout: 60), "the writer does not finish")
        XCTAssertTrue(m.sh("cat writer.err").stdout.contains("No space left on device"), m.sh("cat writer.err").stdout)
        XCTAssertEqual(m.packageIDs, [], m.log)
        XCTAssertEqual(m.sh("ls $M/incoming").stdout, "", "the failed upload is not listed any more")
        XCTAssertEqual(m.temporaryFiles, [])
    }

    /// The disk fills up with something else while pkgfs has a few MiB left: an upload that does
    /// not fit fails the same way, and the packages already there stay readable.
    func testFullDiskLeavesRegisteredPackagesIntact() throws {
        let m = try mountOnSmallTmpfs()
        let first = TarPackages.make("\(m.root)/early-1.0-1.el9.x86_64.tar.gz", content: "early", extraBytes: 2_000_000)
        XCTAssertTrue(m.sh("cp \(first) $M/incoming/").ok, m.log)
        // Leave about 3 MiB free.
        Shell.run("dd if=/dev/zero of=\(Shell.quote(m.store))/filler bs=1M count=200 status=none; " +
                  "truncate -s -3M \(Shell.quote(m.store))/filler")
        let late = TarPackages.make("\(m.root)/late-1.0-1.el9.x86_64.tar.gz", content: "late", extraBytes: 8_000_000)
        let cp = m.sh("cp \(late) $M/incoming/")
        XCTAssertFalse(cp.ok)
        XCTAssertTrue(cp.stderr.contains("No space left on device") || cp.stderr.contains("Input/output error"), cp.stderr)
        XCTAssertEqual(m.packageIDs, [1], "only the early package: \(m.log)")
        XCTAssertEqual(m.temporaryFiles, [])
        XCTAssertTrue(m.sh("cmp \(first) $M/by-id/1/$(basename \(first))").ok, "the early package is intact")
        Shell.run("rm -f \(Shell.quote(m.store))/filler")
        XCTAssertTrue(m.sh("cp \(late) $M/incoming/").ok, "once space is freed: \(m.log)")
        XCTAssertEqual(m.packageIDs, [1, 2])
    }

    /// With not a byte free, deleting still works: a delete writes to the catalog before it
    /// frees a blob, and the catalog could not grow (every `rm` failed with ENOSPC, remounting
    /// did not help). The store keeps space back for that and takes it again once there is room.
    func testPackagesCanBeDeletedOnAFullDisk() throws {
        let m = try mountOnSmallTmpfs()
        XCTAssertTrue(m.sh("test -f $S/reserve").ok, "the store keeps its reserve")
        let first = TarPackages.make("\(m.root)/gone-1.0-1.el9.x86_64.tar.gz", content: "gone", extraBytes: 2_000_000)
        let second = TarPackages.make("\(m.root)/next-1.0-1.el9.x86_64.tar.gz", content: "next", extraBytes: 1_000_000)
        XCTAssertTrue(m.sh("cp \(first) \(second) $M/incoming/").ok, m.log)
        Shell.run("dd if=/dev/zero of=\(Shell.quote(m.store))/filler bs=1M count=200 status=none")
        XCTAssertEqual(Shell.run("stat -f -c %a \(Shell.quote(m.store))").trimmed, "0", "the disk is full")
        XCTAssertFalse(m.sh("setfattr -n user.label.x -v \(String(repeating: "y", count: 4000)) $M/by-id/2").ok,
                       "a catalog write that frees nothing fails")

        // Not even the log's last page has room left.
        Shell.run("while printf x >> \(Shell.quote(m.store))/pkgfs.log; do :; done 2>/dev/null")
        // Not a byte could be written: the close says so too (it said EIO, "no bytes written yet", unlogged).
        Shell.run("head -c 100000 /dev/urandom > \(m.root)/nowhere-1.0-1.el9.x86_64.bin")
        let nowhere = m.sh("cp nowhere-1.0-1.el9.x86_64.bin $M/incoming/")
        XCTAssertFalse(nowhere.ok)
        XCTAssertFalse(nowhere.stderr.contains("Input/output error"), nowhere.stderr)
        XCTAssertTrue(nowhere.stderr.contains("failed to close") && nowhere.stderr.contains("No space left on device"), nowhere.stderr)
        XCTAssertFalse(m.log.contains("close /incoming/nowhere-1.0-1.el9.x86_64.bin"), "no room for the log line yet")

        let rm = m.sh("rm $M/by-id/1/$(basename \(first))")
        XCTAssertTrue(rm.ok, "delete on a full disk: \(rm.stderr)\n\(m.log)")
        // The log is on the full disk too: its lines were kept and written once there was room.
        XCTAssertTrue(m.log.contains("close /incoming/nowhere-1.0-1.el9.x86_64.bin"), m.log)
        XCTAssertEqual(m.packageIDs, [2])
        XCTAssertTrue(m.log.contains("gave back the 8 MiB kept for deletes"), m.log)
        XCTAssertTrue(m.log.contains("took back the 8 MiB kept for deletes"), "the delete left room to keep it again: \(m.log)")
        XCTAssertTrue(m.sh("test -f $S/reserve").ok)
        XCTAssertGreaterThan(Int(Shell.run("stat -f -c '%a * %S' \(Shell.quote(m.store)) | bc").trimmed) ?? 0, 1_500_000,
                             "what the package held is free")
        XCTAssertTrue(m.sh("rm $M/by-id/2/$(basename \(second))").ok, "and the next delete on the full disk: \(m.log)")
        Shell.run("rm -f \(Shell.quote(m.store))/filler")
        XCTAssertTrue(m.sh("cp \(first) $M/incoming/").ok, m.log)
        m.unmount()
        let check = m.pkgfs("check --store \(Shell.quote(m.store))")
        XCTAssertTrue(check.ok, check.stdout + check.stderr)
    }

    /// The bytes fit exactly, then the catalog cannot grow to register them: the upload fails,
    /// and the blob already moved into place must not stay behind unreferenced (it would hold
    /// the space forever: nothing sweeps it while mounted).
    func testCatalogFullAfterTheBytesAreStoredLeavesNoBlob() throws {
        let m = try mountOnSmallTmpfs()
        let name = "exact-1.0-1.el9.x86_64.bin"
        // Fill all but 2 MiB, then make the upload exactly as big as what is left.
        Shell.run("dd if=/dev/zero of=\(Shell.quote(m.store))/filler bs=1M count=200 status=none; " +
                  "truncate -s -2M \(Shell.quote(m.store))/filler")
        let free = try XCTUnwrap(Int(Shell.run("stat -f -c '%a %S' \(Shell.quote(m.store)) | awk '{print $1 * $2}'").trimmed))
        Shell.run("head -c \(free) /dev/urandom > \(m.root)/\(name)")
        let cp = m.sh("cp \(name) $M/incoming/")
        XCTAssertFalse(cp.ok, "no room left for the catalog: \(m.log)")
        XCTAssertTrue(cp.stderr.contains("No space left on device") || cp.stderr.contains("Input/output error"), cp.stderr)
        XCTAssertEqual(m.packageIDs, [])
        XCTAssertEqual(m.temporaryFiles, [])
        XCTAssertEqual(m.blobCount, 0, "no unreferenced blob: \(m.sh("find $S/blobs -type f").stdout)\n\(m.log)")
        Shell.run("rm -f \(Shell.quote(m.store))/filler")
        XCTAssertTrue(m.sh("cp \(name) $M/incoming/").ok, "once space is freed: \(m.log)")
        XCTAssertEqual(m.packageIDs, [1])
        XCTAssertEqual(m.blobCount, 1)
    }

    /// A write that failed (ENOSPC) means the stored bytes are not the bytes sent. Even when
    /// space is back by the time the writer closes, the upload must fail and register nothing:
    /// otherwise the first part of the file becomes an `available` package.
    func testAWriteThatFailedIsNeverRegistered() throws {
        let m = try mountOnSmallTmpfs()
        // About 1 MiB free.
        Shell.run("dd if=/dev/zero of=\(Shell.quote(m.store))/filler bs=1M count=200 status=none; " +
                  "truncate -s -1M \(Shell.quote(m.store))/filler")
        // The writer must keep its one descriptor open after the failed write (every close of
        // any descriptor of an upload is a flush, which registers), so only bash builtins touch
        // it and nothing redirects fd 1: fd 1 is closed first so that the upload opens as fd 1
        // itself (no dup2 + close), printf writes to it, markers are made on other descriptors.
        let writer = try BackgroundShell("""
            exec 2>>writer.err
            mkfifo pause && exec 4<>pause
            exec 1>&-
            exec 1>"$M/incoming/partial-1.0-1.el9.x86_64.bin"
            written=0
            while printf '%65536s' x; do
              written=$((written + 65536))
              [ $written -ge $((8 << 20)) ] && break
            done
            exec 5>write-failed
            while [ ! -e may-close ]; do read -t 0.05 -u 4; done
            exec 1>&-
            """, in: m.root, environment: ["M": m.mountPoint], test: self)
        XCTAssertTrue(m.waitUntil(timeout: 60) { access(m.root + "/write-failed", F_OK) == 0 }, writer.output)
        XCTAssertTrue(m.sh("cat writer.err").stdout.contains("No space left on device"), m.sh("cat writer.err").stdout)
        XCTAssertEqual(m.packageIDs, [], "nothing is registered while the writer holds the file")
        // Space is back before the close.
        Shell.run("rm -f \(Shell.quote(m.store))/filler")
        _ = FileManager.default.createFile(atPath: m.root + "/may-close", contents: nil)
        XCTAssertTrue(writer.wait(timeout: 60), "the writer does not finish")
        // bash reports the failed close (`exec 1>&-`) on stderr but does not fail on it.
        let errors = m.sh("cat writer.err").stdout
        XCTAssertEqual(errors.components(separatedBy: "No space left on device").count - 1, 2,
                       "the write and then the close fail with ENOSPC: \(errors)\n\(m.log)")
        XCTAssertEqual(m.packageIDs, [], "a partly written upload is never registered: \(m.log)")
        XCTAssertEqual(m.temporaryFiles, [])
        XCTAssertEqual(m.blobCount, 0)
    }
}
