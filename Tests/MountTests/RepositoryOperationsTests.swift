import Foundation
import TestSupport
import XCTest

/// SPEC §2 and §4 beyond uploading: state, xattrs, lookups, search, deletes, live updates.
final class RepositoryOperationsTests: XCTestCase {
    /// Uploads a small real tarball named by the OCP convention; returns its package directory.
    @discardableResult
    func upload(_ m: MountedStore, _ name: String, content: String = "/etc/hostname") -> String {
        let stem = name.replacingOccurrences(of: ".tar.gz", with: "")
        Shell.run("mkdir -p \(m.root)/src && tar czf \(m.root)/src/\(name) -C / \(content.dropFirst())")
        let cp = m.sh("cp src/\(name) $M/incoming/")
        XCTAssertTrue(cp.ok, "upload of \(name) failed: \(cp.stderr)")
        return m.sh("readlink -f $M/incoming/\(name)").trimmed.isEmpty ? stem : m.sh("readlink -f $M/incoming/\(name)").trimmed
    }

    func testStateTransitionsAndReverification() throws {
        let m = try MountedStore.make(self)
        let dir = upload(m, "statepkg-1.0-1.el7.x86_64.tar.gz")
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "available\n")
        let before = m.sh("jq -r .metadata.modificationTimestamp \(dir)/meta.json").trimmed

        XCTAssertTrue(m.sh("echo corrupt > \(dir)/state").ok)
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "corrupt\n")
        XCTAssertEqual(m.sh("jq -r .packageState \(dir)/meta.json").trimmed, "corrupt")
        XCTAssertNotEqual(m.sh("jq -r .metadata.modificationTimestamp \(dir)/meta.json").trimmed, before)
        XCTAssertEqual(m.sh("jq -r .metadata.modifiedBy \(dir)/meta.json").trimmed, "root")
        XCTAssertEqual(m.sh("getfattr --only-values -n user.pkgfs.state \(dir)").stdout, "corrupt")

        let refused = m.sh("echo verifying > \(dir)/state")
        XCTAssertFalse(refused.ok, "corrupt → verifying is not an Astra transition")
        XCTAssertTrue(refused.stderr.contains("Invalid argument"), refused.stderr)
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "corrupt\n", "nothing changes on EINVAL")
        XCTAssertFalse(m.sh("echo nonsense > \(dir)/state").ok)
        // Without a newline the word is applied, or refused, at write(), which the shell reports.
        let unterminated = m.sh("printf nonsense > \(dir)/state")
        XCTAssertFalse(unterminated.ok)
        XCTAssertTrue(unterminated.stderr.contains("Invalid argument"), unterminated.stderr)
        XCTAssertFalse(m.sh("printf verifying > \(dir)/state").ok, "corrupt → verifying is refused at write too")
        XCTAssertTrue(m.sh("printf incomplete > \(dir)/state").ok)
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "incomplete\n")
        XCTAssertTrue(m.sh("printf corrupt > \(dir)/state").ok)

        XCTAssertTrue(m.sh("echo available > \(dir)/state").ok, "re-verification of intact bytes passes")
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "available\n")

        // Damage the stored bytes behind pkgfs's back: re-verification must catch it.
        let sha = m.sh("getfattr --only-values -n user.pkgfs.sha256 \(dir)").stdout
        XCTAssertTrue(m.sh("printf 'X' | dd of=$S/blobs/sha256/\(sha.prefix(2))/\(sha) bs=1 seek=10 conv=notrunc 2>/dev/null").ok)
        XCTAssertTrue(m.sh("echo corrupt > \(dir)/state").ok)
        let reverify = m.sh("echo available > \(dir)/state")
        XCTAssertFalse(reverify.ok)
        XCTAssertTrue(reverify.stderr.contains("Input/output error"), reverify.stderr)
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "corrupt\n")
        XCTAssertTrue(m.sh("jq -r '.packageStateDetails[].detail' \(dir)/meta.json").stdout.contains("re-verification"))
    }

    /// Reads of an original pass through to its blob unseen: a blob cut short or gone on disk is
    /// found at open, which fails with EIO, logs, and makes the package corrupt with what was found.
    func testABlobDamagedOnDiskIsFoundAtOpen() throws {
        let m = try MountedStore.make(self)
        let cut = upload(m, "cutshort-1.0-1.el7.x86_64.tar.gz", content: "/usr/bin/ls")
        let gone = upload(m, "vanished-1.0-1.el7.x86_64.tar.gz", content: "/usr/bin/env")
        func blob(_ dir: String) -> String {
            let sha = m.sh("getfattr --only-values -n user.pkgfs.sha256 \(dir)").stdout
            return "$S/blobs/sha256/\(sha.prefix(2))/\(sha)"
        }
        XCTAssertTrue(m.sh("truncate -s 1000 \(blob(cut)) && rm \(blob(gone))").ok)
        for (dir, name, finding) in [(cut, "cutshort-1.0-1.el7.x86_64.tar.gz", "holds 1000 bytes"),
                                     (gone, "vanished-1.0-1.el7.x86_64.tar.gz", "is missing")] {
            let read = m.sh("cat \(dir)/\(name) > /dev/null")
            XCTAssertFalse(read.ok, "no short read that looks whole")
            XCTAssertTrue(read.stderr.contains("Input/output error"), read.stderr)
            XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "corrupt\n")
            let detail = m.sh("jq -r '.packageStateDetails[0] | .title + \": \" + .detail' \(dir)/meta.json").trimmed
            XCTAssertTrue(detail.hasPrefix("Stored bytes damaged: ") && detail.contains(finding), detail)
            XCTAssertTrue(m.log.contains("stored bytes of \(name)"), m.log)
        }
    }

    func testXattrsAndLabels() throws {
        let m = try MountedStore.make(self)
        let dir = upload(m, "labelled-2.0-1.el8.aarch64.tar.gz")
        let dump = m.sh("getfattr -d \(dir)").stdout
        for key in ["user.pkgfs.id=\"1\"", "user.pkgfs.sha1=", "user.pkgfs.sha256=", "user.pkgfs.state=\"available\""] {
            XCTAssertTrue(dump.contains(key), "\(key) missing from \(dump)")
        }
        XCTAssertTrue(m.sh("setfattr -n user.label.team -v db \(dir)").ok)
        XCTAssertEqual(m.sh("getfattr --only-values -n user.label.team \(dir)").stdout, "db")
        XCTAssertEqual(m.sh("jq -c .metadata.labels \(dir)/meta.json").trimmed, "[{\"name\":\"team\",\"value\":\"db\"}]")
        XCTAssertTrue(m.sh("setfattr -x user.label.team \(dir)").ok)
        XCTAssertEqual(m.sh("jq -c .metadata.labels \(dir)/meta.json").trimmed, "[]")
        XCTAssertFalse(m.sh("setfattr -n user.pkgfs.sha256 -v 00 \(dir)").ok, "facts are read-only")
        XCTAssertTrue(m.sh("getfattr -n user.label.absent \(dir)").stderr.contains("No such attribute"))
        // "Not supported" rather than "not set": `ls -l` then asks once per mount, not once per entry,
        // and the refusal is routine (no log line).
        for name in ["security.selinux", "system.posix_acl_access", "system.posix_acl_default"] {
            let answer = m.sh("getfattr -n \(name) \(dir)")
            XCTAssertFalse(answer.ok)
            XCTAssertTrue(answer.stderr.contains("Operation not supported"), "\(name): \(answer.stderr)")
        }
        let binary = m.sh("setfattr -n user.label.raw -v 0xff00fe \(dir)")
        XCTAssertTrue(binary.stderr.contains("Invalid argument"), "a label is UTF-8 text: \(binary.stderr)")
        // XATTR_CREATE claims a label once; XATTR_REPLACE changes only one that is set. Eight
        // claims at once: one wins, and no label written beside them is lost.
        let claims = m.sh("""
            python3 - "\(dir)" <<'PY'
            import os, sys, threading
            d = sys.argv[1]
            won = []
            def claim(k):
                try:
                    os.setxattr(d, "user.label.owner", f"host{k}".encode(), os.XATTR_CREATE)
                    won.append(k)
                except FileExistsError:
                    pass
                os.setxattr(d, f"user.label.seen{k}", b"yes")
            threads = [threading.Thread(target=claim, args=(k,)) for k in range(8)]
            for t in threads: t.start()
            for t in threads: t.join()
            print(len(won), os.getxattr(d, "user.label.owner").decode() == f"host{won[0]}")
            try:
                os.setxattr(d, "user.label.never", b"x", os.XATTR_REPLACE)
                print("replace of an unset label succeeded")
            except OSError as e:
                print(e.strerror)
            os.setxattr(d, "user.label.owner", b"handed-over", os.XATTR_REPLACE)
            PY
            """)
        XCTAssertEqual(claims.stdout, "1 True\nNo data available\n", claims.stderr + m.log)
        let labels = m.sh("jq -r '.metadata.labels[] | .name + \"=\" + .value' \(dir)/meta.json | sort").stdout
        XCTAssertEqual(labels, "owner=handed-over\n" + (0..<8).map { "seen\($0)=yes\n" }.joined())
        XCTAssertTrue(m.sh("setfattr -n user.label. -v x \(dir)").stderr.contains("Invalid argument"), "a label needs a name")

        // Labels must leave listxattr answerable (64 KiB of names) and meta.json sane (1 MiB).
        let room = m.sh("""
            python3 -c 'import errno, os, sys
            d = sys.argv[1]
            def fill(make):
                for k in range(2000):
                    try: os.setxattr(d, *make(k))
                    except OSError as e: return k, errno.errorcode[e.errno]
            print(*fill(lambda k: ("user.label.%s%04d" % ("n" * 200, k), b"v")))
            print(len(os.listxattr(d)) > 300)
            for name in os.listxattr(d):
                if name.startswith("user.label."): os.removexattr(d, name)
            print(*fill(lambda k: ("user.label.big%d" % k, b"w" * 60000)))' \(dir)
            """)
        let lines = room.stdout.split(separator: "\n").map { $0.split(separator: " ") }
        XCTAssertEqual(lines.map { $0.last ?? "" }, ["ENOSPC", "True", "ENOSPC"], room.stdout + room.stderr)
        XCTAssertTrue((290...310).contains(Int(lines.first?.first ?? "") ?? 0), "about 300 names of 211 bytes fit: \(room.stdout)")
        XCTAssertEqual(lines.last?.first, "17", "1 MiB of values: \(room.stdout)")
        let set = m.sh("setfattr -n trusted.note -v x \(dir)")
        XCTAssertTrue(set.stderr.contains("Operation not supported"), "only user.* exists, to set too: \(set.stderr)")
        XCTAssertTrue(m.sh("ls -laR $M > /dev/null").ok)
        XCTAssertFalse(m.log.contains("security.selinux") || m.log.contains("posix_acl"), m.log)
    }

    func testExpectedDigestIsCheckedOnClose() throws {
        let m = try MountedStore.make(self)
        Shell.run("mkdir -p \(m.root)/src && tar czf \(m.root)/src/digest-1.0-1.el7.x86_64.tar.gz -C /etc hostname")
        let good = m.sh("sha256sum src/digest-1.0-1.el7.x86_64.tar.gz | cut -d' ' -f1").trimmed
        let script = """
            import os, sys
            src, dst, digest = sys.argv[1:4]
            fd = os.open(dst, os.O_WRONLY | os.O_CREAT, 0o644)
            os.setxattr(dst, "user.pkgfs.sha256", digest.encode())
            os.write(fd, open(src, "rb").read())
            try:
                os.close(fd)
            except OSError as e:
                print(e.errno); sys.exit(1)
            print(0)
            """
        try script.write(toFile: m.root + "/upload.py", atomically: true, encoding: .utf8)
        let wrong = String(repeating: "0", count: 64)
        let bad = m.sh("python3 upload.py src/digest-1.0-1.el7.x86_64.tar.gz $M/incoming/digest-1.0-1.el7.x86_64.tar.gz \(wrong)")
        XCTAssertEqual(bad.trimmed, "\(EIO)", bad.stderr)
        let dir = "$M/GENERIC_PACKAGE/el7/x86_64/1.0/digest-1.0-1.el7.x86_64"
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "corrupt\n")
        XCTAssertTrue(m.sh("jq -r '.packageStateDetails[].title' \(dir)/meta.json").stdout.contains("SHA256 mismatch"))
        // The right digest, uploaded again under the same name, replaces the corrupt package.
        let ok = m.sh("rm $M/incoming/digest-1.0-1.el7.x86_64.tar.gz; python3 upload.py src/digest-1.0-1.el7.x86_64.tar.gz $M/incoming/digest-1.0-1.el7.x86_64.tar.gz \(good)")
        XCTAssertEqual(ok.trimmed, "0", ok.stderr)
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "available\n")
    }

    func testLookupsAndSearch() throws {
        let m = try MountedStore.make(self)
        let first = upload(m, "obproxy-ce-4.2.0-1.el7.x86_64.tar.gz")
        sleep(1)
        let second = upload(m, "obproxy-ce-4.2.1-1.el8.x86_64.tar.gz", content: "/etc/passwd")
        let relative = { (abs: String) in String(abs.dropFirst(m.mountPoint.count + 1)) }
        XCTAssertEqual(m.sh("readlink $M/by-id/1").trimmed, "../" + relative(first))
        let uuid = m.sh("getfattr --only-values -n user.pkgfs.uuid \(second)").stdout
        XCTAssertEqual(m.sh("readlink $M/by-id/\(uuid)").trimmed, "../" + relative(second))
        let sha1 = m.sh("getfattr --only-values -n user.pkgfs.sha1 \(first)").stdout
        let sha256 = m.sh("getfattr --only-values -n user.pkgfs.sha256 \(first)").stdout
        XCTAssertEqual(m.sh("readlink -f $M/by-sha1/\(sha1)").trimmed, first)
        XCTAssertEqual(m.sh("readlink -f $M/by-sha256/\(sha256)").trimmed, first)
        XCTAssertEqual(m.sh("jq -r .sha1 $M/by-sha1/\(sha1)/meta.json").trimmed, sha1)
        // Keyword semantics: name, type, version, OS, arch; case-insensitive; newest first.
        XCTAssertEqual(m.sh("ls -f $M/search/OBPROXY | grep -v '^\\.'").stdout,
                       "obproxy-ce-4.2.1-1.el8.x86_64\nobproxy-ce-4.2.0-1.el7.x86_64\n")
        XCTAssertEqual(m.sh("ls $M/search/el8").trimmed, "obproxy-ce-4.2.1-1.el8.x86_64")
        XCTAssertEqual(m.sh("ls $M/search/4.2.0").trimmed, "obproxy-ce-4.2.0-1.el7.x86_64")
        XCTAssertEqual(m.sh("ls $M/search/install_package | wc -l").trimmed, "2", "type matches")
        XCTAssertEqual(m.sh("ls $M/search/nomatch | wc -l").trimmed, "0")
        XCTAssertEqual(m.sh("ls -t $M/search/obproxy | head -1").trimmed, "obproxy-ce-4.2.1-1.el8.x86_64", "ls -t sorts by upload time")
        XCTAssertTrue(m.sh("test -f $M/search/x86_64/obproxy-ce-4.2.0-1.el7.x86_64/meta.json").ok)
        // A search link's size, time and target come from the search, and agree with the package.
        for (link, package) in [("obproxy/obproxy-ce-4.2.0-1.el7.x86_64", first), ("el8/obproxy-ce-4.2.1-1.el8.x86_64", second)] {
            let target = m.sh("readlink $M/search/\(link)").trimmed
            XCTAssertEqual(target, "../../" + relative(package))
            XCTAssertEqual(m.sh("stat -c %s $M/search/\(link)").trimmed, "\(target.utf8.count)")
            XCTAssertEqual(m.sh("stat -c %Y $M/search/\(link)").trimmed, m.sh("stat -c %Y \(package)").trimmed,
                           "upload time, as the package directory has it")
        }
        XCTAssertTrue(m.sh("test ! -e $M/by-id/99 && test ! -e $M/by-sha1/0000").ok)
    }

    /// A name looked up in search/<keyword>/ without a listing first (the kernel forgot the
    /// entry, or a script knows the name) follows every change: pkgfs remembers a search's hits
    /// only until the catalog changes.
    func testSearchLookupsFollowChanges() throws {
        let m = try MountedStore.make(self)
        upload(m, "memo-1.0-1.el7.x86_64.tar.gz")
        XCTAssertTrue(m.sh("test -d $M/search/memo/memo-1.0-1.el7.x86_64").ok)
        XCTAssertFalse(m.sh("test -e $M/search/memo/memo-2.0-1.el7.x86_64").ok)
        let second = upload(m, "memo-2.0-1.el7.x86_64.tar.gz", content: "/etc/passwd")
        XCTAssertTrue(m.sh("test -d $M/search/memo/memo-2.0-1.el7.x86_64").ok, "a new package is found by name at once")
        XCTAssertEqual(m.sh("readlink -f $M/search/memo/memo-2.0-1.el7.x86_64").trimmed, second)
        XCTAssertTrue(m.sh("rmdir \(second)").ok, m.log)
        XCTAssertFalse(m.sh("test -e $M/search/memo/memo-2.0-1.el7.x86_64").ok, "a deleted package is gone by name at once")
        XCTAssertTrue(m.sh("test -d $M/search/memo/memo-1.0-1.el7.x86_64").ok)
        XCTAssertEqual(m.sh("ls $M/search/memo").stdout, "memo-1.0-1.el7.x86_64\n")
    }

    func testDeletesFreeBytesAndEmptyDirectories() throws {
        let m = try MountedStore.make(self)
        let a = upload(m, "gone-1.0-1.el7.x86_64.tar.gz")
        let b = upload(m, "gone-1.1-1.el7.x86_64.tar.gz", content: "/etc/passwd")
        XCTAssertEqual(m.sh("readlink $M/GENERIC_PACKAGE/el7/x86_64/latest").trimmed, "1.1")
        XCTAssertEqual(m.sh("find $S/blobs -type f | wc -l").trimmed, "2")
        // Look everything up first so the kernel has it cached: deletes must still show at once.
        m.sh("ls -R $M > /dev/null; stat \(b)/meta.json > /dev/null")
        let inodes = "stat -c %i $M/GENERIC_PACKAGE $M/GENERIC_PACKAGE/el7/x86_64 \(a) \(a)/meta.json"
        let before = m.sh(inodes).stdout
        XCTAssertTrue(m.sh("rm \(b)/gone-1.1-1.el7.x86_64.tar.gz").ok)
        XCTAssertEqual(m.sh(inodes).stdout, before, "inode numbers beside a deleted package stay (SPEC §2)")
        XCTAssertFalse(m.sh("test -e \(b)").ok, "deleted package is gone at once")
        XCTAssertEqual(m.sh("ls $M/GENERIC_PACKAGE/el7/x86_64/").stdout, "1.0\nlatest\n", "empty version directory disappears")
        XCTAssertEqual(m.sh("readlink $M/GENERIC_PACKAGE/el7/x86_64/latest").trimmed, "1.0", "latest moves back")
        XCTAssertEqual(m.sh("find $S/blobs -type f | wc -l").trimmed, "1", "unreferenced bytes are freed")
        XCTAssertFalse(m.sh("test -e $M/by-id/2").ok)
        XCTAssertTrue(m.sh("rmdir \(a)").ok)
        XCTAssertEqual(m.sh("ls $M").stdout, "by-id\nby-sha1\nby-sha256\nincoming\nsearch\n", "no empty type directories")
        XCTAssertEqual(m.sh("find $S/blobs -type f | wc -l").trimmed, "0")
        XCTAssertFalse(m.sh("rmdir $M/incoming").ok)
        XCTAssertFalse(m.sh("rm $M/by-id 2>&1").ok)
    }

    /// `rm -rf <PKG>` is how people remove a directory: it deletes the package and says nothing.
    /// Its first unlink, of the original (listed first), deletes it; meta.json, state and files/
    /// went with it (ENOENT, which -f passes over). Plain `rm -r` deletes it too, and says the
    /// rest was already gone; `rm` of meta.json or state alone is still refused.
    func testRmRfOfAPackageDirectoryDeletesIt() throws {
        let m = try MountedStore.make(self)
        let first = upload(m, "tree-1.0-1.el7.x86_64.tar.gz")
        let second = upload(m, "tree-1.1-1.el7.x86_64.tar.gz", content: "/etc/passwd")
        let kept = upload(m, "tree-1.2-1.el7.x86_64.tar.gz", content: "/etc/os-release")
        XCTAssertEqual(m.sh("ls -U \(first)").stdout, "tree-1.0-1.el7.x86_64.tar.gz\nmeta.json\nstate\nfiles\n")
        XCTAssertFalse(m.sh("rm \(kept)/meta.json").ok)
        XCTAssertFalse(m.sh("rm \(kept)/state").ok)

        let forced = m.sh("ls -R \(first) > /dev/null; rm -rf \(first)")
        XCTAssertTrue(forced.ok, forced.stderr + m.log)
        XCTAssertEqual(forced.stderr, "")
        let plain = m.sh("rm -r \(second)")
        XCTAssertEqual(plain.stderr.split(separator: "\n").filter { !$0.contains("No such file or directory") }, [],
                       "only what went with the package is reported")
        for dir in [first, second] { XCTAssertFalse(m.sh("test -e \(dir)").ok, "\(dir) is deleted") }
        XCTAssertEqual(m.sh("ls $M/by-id | grep -v -- -").stdout, "3\n")
        XCTAssertEqual(m.sh("cat \(kept)/state").stdout, "available\n")
        XCTAssertEqual(m.sh("find $S/blobs -type f | wc -l").trimmed, "1")
    }

    /// The same bytes under two names are two packages sharing one blob; their digest links lead
    /// to an available one, the first uploaded: a copy uploaded later does not move them, and
    /// one marked corrupt hands them to the other.
    func testDigestLinksOfTheSameBytesUnderTwoNamesStayWithTheFirstAvailable() throws {
        let m = try MountedStore.make(self)
        let first = upload(m, "twin-1.0-1.el7.x86_64.tar.gz")
        XCTAssertTrue(m.sh("cp src/twin-1.0-1.el7.x86_64.tar.gz $M/incoming/copy-2.0-1.el7.x86_64.tar.gz").ok, m.log)
        let copy = m.sh("readlink -f $M/incoming/copy-2.0-1.el7.x86_64.tar.gz").trimmed
        let sha = m.sh("sha256sum src/twin-1.0-1.el7.x86_64.tar.gz | cut -d' ' -f1").trimmed
        let sha1 = m.sh("sha1sum src/twin-1.0-1.el7.x86_64.tar.gz | cut -d' ' -f1").trimmed
        func linked() -> [String] {
            ["by-sha256/\(sha)", "by-sha1/\(sha1)"].map { m.sh("ls -l $M/\($0) >/dev/null; readlink -f $M/\($0)").trimmed }
        }
        XCTAssertEqual(m.sh("find $S/blobs -type f | wc -l").trimmed, "1", "one copy of the bytes")
        XCTAssertEqual(linked(), [first, first], "a copy uploaded later does not move the links")
        XCTAssertTrue(m.sh("echo corrupt > \(first)/state").ok)
        XCTAssertEqual(linked(), [copy, copy], "an available package before a corrupt one")
        XCTAssertTrue(m.sh("echo available > \(first)/state").ok, m.log)
        XCTAssertEqual(linked(), [first, first])
        XCTAssertTrue(m.sh("rmdir \(first)").ok)
        XCTAssertEqual(linked(), [copy, copy], "the other is left")
    }

    func testCorruptPackageIsReplacedBySameName() throws {
        let m = try MountedStore.make(self)
        Shell.run("mkdir -p \(m.root)/bad && head -c 500 /dev/urandom > \(m.root)/bad/fixme-1.0-1.el7.x86_64.tar.gz")
        XCTAssertFalse(m.sh("cp bad/fixme-1.0-1.el7.x86_64.tar.gz $M/incoming/").ok)
        let dir = "$M/GENERIC_PACKAGE/el7/x86_64/1.0/fixme-1.0-1.el7.x86_64"
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "corrupt\n")
        let forced = m.sh("echo available > \(dir)/state")
        XCTAssertFalse(forced.ok, "bytes that fail verification do not become available by a word")
        XCTAssertTrue(forced.stderr.contains("Input/output error"), forced.stderr)
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "corrupt\n")
        XCTAssertTrue(m.log.contains("fail verification: it stays corrupt"), "the refusal is logged")
        let sha1 = m.sh("sha1sum bad/fixme-1.0-1.el7.x86_64.tar.gz | cut -c1-40").trimmed
        let sha256 = m.sh("sha256sum bad/fixme-1.0-1.el7.x86_64.tar.gz | cut -c1-64").trimmed
        let oldLinks = ["$M/by-sha1/\(sha1)", "$M/by-sha256/\(sha256)"]
        XCTAssertTrue(m.sh("ls -l $M/by-sha1 $M/by-sha256 && ls \(oldLinks.map { $0 + "/" }.joined(separator: " "))").ok,
                      "the kernel now caches the corrupt upload's links, from a listing and a lookup")
        m.sh("rm $M/incoming/fixme-1.0-1.el7.x86_64.tar.gz")
        upload(m, "fixme-1.0-1.el7.x86_64.tar.gz")
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "available\n")
        XCTAssertEqual(m.sh("find $S/blobs -type f | wc -l").trimmed, "1", "the corrupt bytes were freed")
        for link in oldLinks {
            // `stat -c %i` is answered from the kernel's dentry alone: it shows a stale one
            XCTAssertFalse(m.sh("stat -c %i \(link)").ok, "\(link) of the replaced bytes is gone at once")
            XCTAssertFalse(m.sh("ls -l \(link)").ok, "\(link) of the replaced bytes is gone at once")
        }
    }

    /// meta.json and state change as a file replaced by rename does: a reader that opened one
    /// reads what it opened, whole and at the size `fstat` gave, while the name shows the change.
    func testOpenMetaJSONAndStateKeepWhatTheyShowed() throws {
        let m = try MountedStore.make(self)
        let dir = upload(m, "snapshot-1.0-1.el7.x86_64.tar.gz")
        let meta = opened("\(dir)/meta.json")
        let state = opened("\(dir)/state")
        defer { close(meta.fd); close(state.fd) }

        XCTAssertTrue(m.sh("setfattr -n user.label.release -v candidate \(dir) && echo corrupt > \(dir)/state").ok)

        let oldMeta = String(decoding: readAll(meta.fd), as: UTF8.self)
        XCTAssertEqual(oldMeta.utf8.count, Int(meta.stat.st_size))
        let old = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(oldMeta.utf8)) as? [String: Any], oldMeta)
        XCTAssertEqual(old["packageState"] as? String, "available")
        XCTAssertEqual(String(decoding: readAll(state.fd), as: UTF8.self), "available\n")
        XCTAssertEqual(m.sh("jq -r '.packageState, .metadata.labels[0].value' \(dir)/meta.json").stdout, "corrupt\ncandidate\n")
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "corrupt\n")
        XCTAssertNotEqual(m.sh("stat -c %i \(dir)/meta.json").trimmed, String(meta.stat.st_ino))
    }

    /// A label or state change moves meta.json's and state's times, so a mirror kept by
    /// `rsync -a` (size and time) takes the new document even when its size did not change.
    func testLabelAndStateChangesMoveTheTimesMirrorsCompare() throws {
        let m = try MountedStore.make(self)
        let dir = upload(m, "mirrored-1.0-1.el7.x86_64.tar.gz")
        XCTAssertTrue(m.sh("setfattr -n user.label.team -v web \(dir)").ok)
        let times = { m.sh("stat -c %.9Y \(dir)/meta.json \(dir)/state").stdout }
        let before = times()
        XCTAssertTrue(m.sh("rsync -a \(dir)/ mirror/").ok)
        // rsync compares whole seconds, as it does on any filesystem.
        Thread.sleep(forTimeInterval: 1.1)
        XCTAssertTrue(m.sh("setfattr -n user.label.team -v abc \(dir)").ok, "same size as before")
        let afterLabel = times()
        XCTAssertNotEqual(afterLabel.split(separator: "\n").first, before.split(separator: "\n").first)
        XCTAssertTrue(m.sh("rsync -a \(dir)/ mirror/").ok)
        XCTAssertTrue(m.sh("cmp \(dir)/meta.json mirror/meta.json").ok, "the mirror took the new labels")
        XCTAssertTrue(m.sh("echo corrupt > \(dir)/state").ok)
        XCTAssertNotEqual(times().split(separator: "\n").last, afterLabel.split(separator: "\n").last)
        XCTAssertEqual(m.sh("stat -c %.9Y \(dir)/meta.json").trimmed, m.sh("stat -c %.9Y \(dir)/state").trimmed,
                       "both show the package's modification")
    }

    /// A package deleted while its files are open: as files removed on disk, each descriptor
    /// still `fstat`s and reads what it opened, whole, until closed; then its bytes are freed.
    func testFilesOpenWhenTheirPackageIsDeletedReadOnWhole() throws {
        let m = try MountedStore.make(self)
        let source = "\(m.root)/payload/big.bin"
        Shell.run("mkdir -p \(m.root)/payload && head -c 3000000 /dev/urandom > \(source)")
        let name = "opened-1.0-1.el7.x86_64.tar.gz"
        let dir = upload(m, name, content: source)
        let paths = ["original": "\(dir)/\(name)", "meta": "\(dir)/meta.json", "state": "\(dir)/state",
                     "payload": "\(dir)/files\(source)"]
        // Each read a little first: the payload's reader is then open, meta.json rendered.
        let files = paths.mapValues { path in
            let file = opened(path)
            var first = [UInt8](repeating: 0, count: 4)
            XCTAssertEqual(pread(file.fd, &first, first.count, 0), first.count, path)
            return file
        }
        defer { files.values.forEach { close($0.fd) } }
        XCTAssertTrue(m.sh("rmdir \(dir)").ok)
        XCTAssertFalse(m.sh("test -e \(dir)").ok, "the package is gone by name at once")

        var read: [String: [UInt8]] = [:]
        for (what, file) in files {
            var st = stat()
            XCTAssertEqual(fstat(file.fd, &st), 0, "fstat of the open \(what): \(String(cString: strerror(errno)))")
            XCTAssertEqual(st.st_size, file.stat.st_size, what)
            XCTAssertEqual(st.st_ino, file.stat.st_ino, what)
            XCTAssertEqual(st.st_nlink, 0, "\(what) has no name left (`tail -F` tells a removed file by this)")
            read[what] = readAll(file.fd, from: 0)
            XCTAssertEqual(read[what]?.count, Int(file.stat.st_size), "\(what) reads whole")
        }
        let contents = { (path: String) in [UInt8](FileManager.default.contents(atPath: path) ?? Data()) }
        XCTAssertTrue(read["payload"] == contents(source), "files/ reads the payload's bytes")
        XCTAssertTrue(read["original"] == contents("\(m.root)/src/\(name)"), "the original reads the uploaded bytes")
        let meta = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(read["meta"] ?? [])) as? [String: Any])
        XCTAssertEqual(meta["fileName"] as? String, name)
        XCTAssertEqual(read["state"], Array("available\n".utf8))
        XCTAssertEqual(m.sh("find $S/blobs -type f | wc -l").trimmed, "0", "the blob left the store; its space goes with the last close")
    }

    func testChangesAreVisibleAtOnceWithCachingOn() throws {
        let m = try MountedStore.make(self)
        let dir = upload(m, "live-1.0-1.el7.x86_64.tar.gz")
        // Prime the kernel's caches.
        m.sh("ls -lR $M > /dev/null; stat \(dir)/meta.json \(dir)/state > /dev/null; cat \(dir)/meta.json > /dev/null")
        let sizeMatches = { m.sh("test $(stat -c %s \(dir)/meta.json) -eq $(cat \(dir)/meta.json | wc -c)").ok }
        XCTAssertTrue(sizeMatches())
        XCTAssertTrue(m.sh("echo corrupt > \(dir)/state").ok)
        XCTAssertEqual(m.sh("stat -c %s \(dir)/state").trimmed, "8", "size of \"corrupt\\n\" at once")
        XCTAssertTrue(sizeMatches(), "meta.json size follows its content at once")
        XCTAssertTrue(m.sh("setfattr -n user.label.release -v candidate \(dir)").ok)
        XCTAssertTrue(sizeMatches())
        XCTAssertTrue(m.sh("jq -e '.metadata.labels[0].value == \"candidate\"' \(dir)/meta.json").ok)
        // A new upload shows in an already listed directory and in search at once.
        m.sh("ls $M/GENERIC_PACKAGE/el7/x86_64 $M/search/live > /dev/null")
        upload(m, "live-1.1-1.el7.x86_64.tar.gz", content: "/etc/passwd")
        XCTAssertEqual(m.sh("ls $M/GENERIC_PACKAGE/el7/x86_64").stdout, "1.0\n1.1\nlatest\n")
        XCTAssertEqual(m.sh("readlink $M/GENERIC_PACKAGE/el7/x86_64/latest").trimmed, "1.1")
        XCTAssertEqual(m.sh("ls $M/search/live | wc -l").trimmed, "2")
    }

    /// `path` opened for reading, and what `fstat` said of it then.
    func opened(_ path: String) -> (fd: Int32, stat: stat) {
        let fd = open(path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0, "open \(path): \(String(cString: strerror(errno)))")
        var st = stat()
        XCTAssertEqual(fstat(fd, &st), 0, path)
        return (fd, st)
    }

    /// What `fd` reads from `offset` (its own position if nil) to its end.
    func readAll(_ fd: Int32, from offset: off_t? = nil) -> [UInt8] {
        if let offset { lseek(fd, offset, SEEK_SET) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            bytes += buffer[..<n]
        }
        return bytes
    }
}
