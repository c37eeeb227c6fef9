import Foundation
import TestSupport
import XCTest

/// SPEC §2 and §4 through a real mount: cp into incoming/, browse, read back, meta.json.
final class UploadTests: XCTestCase {
    static let agent = "t-oceanbase-ocp-agent-3.1.2-20210812221645.alios7.x86_64"
    static let agentDir = "OCP_AGENT_INSTALL_PACKAGE/alios7/x86_64/3.1.2/" + agent

    func testUploadBrowseReadBackAndMeta() throws {
        let m = try MountedStore.make(self)
        let rpm = try TestPackages.rpm(name: "t-oceanbase-ocp-agent", version: "3.1.2",
                                       release: "20210812221645.alios7", in: m.root)
        let cp = m.sh("cp \(Shell.quote(rpm)) $M/incoming/")
        XCTAssertTrue(cp.ok, "cp failed: \(cp.stderr)\n\(m.log)")

        XCTAssertEqual(m.sh("ls $M/OCP_AGENT_INSTALL_PACKAGE/alios7/x86_64/3.1.2/").trimmed, Self.agent)
        XCTAssertEqual(m.sh("ls $M/\(Self.agentDir) | sort").stdout,
                       "files\nmeta.json\nstate\n\(Self.agent).rpm\n")
        XCTAssertTrue(m.sh("cmp \(Shell.quote(rpm)) $M/\(Self.agentDir)/\(Self.agent).rpm").ok, "bytes differ")
        XCTAssertEqual(m.sh("cat $M/\(Self.agentDir)/state").stdout, "available\n")

        let meta = m.sh("cat $M/\(Self.agentDir)/meta.json")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(meta.stdout.utf8)) as? [String: Any], meta.stderr)
        let sha1 = m.sh("sha1sum \(Shell.quote(rpm)) | cut -d' ' -f1").trimmed
        let sha256 = m.sh("sha256sum \(Shell.quote(rpm)) | cut -d' ' -f1").trimmed
        let size = Int(m.sh("stat -c %s \(Shell.quote(rpm))").trimmed)
        XCTAssertEqual(json["sha1"] as? String, sha1)
        XCTAssertEqual(json["sha256"] as? String, sha256)
        XCTAssertEqual(json["size"] as? Int, size)
        XCTAssertEqual(json["id"] as? Int, 1)
        XCTAssertEqual(json["name"] as? String, "t-oceanbase-ocp-agent")
        XCTAssertEqual(json["fileName"] as? String, Self.agent + ".rpm")
        XCTAssertEqual(json["extension"] as? String, "rpm")
        XCTAssertEqual(json["type"] as? String, "OCP_AGENT_INSTALL_PACKAGE")
        XCTAssertEqual(json["version"] as? String, "3.1.2")
        XCTAssertEqual(json["buildNumber"] as? String, "20210812221645")
        XCTAssertEqual(json["operatingSystem"] as? String, "alios7")
        XCTAssertEqual(json["architecture"] as? String, "x86_64")
        XCTAssertEqual(json["packageState"] as? String, "available")
        XCTAssertEqual(json["format"] as? String, "rpm")
        XCTAssertEqual(json["downloadUrl"] as? String, "\(m.mountPoint)/\(Self.agentDir)/\(Self.agent).rpm")
        let uuid = try XCTUnwrap(json["uuid"] as? String)
        XCTAssertNotNil(UUID(uuidString: uuid), "uuid \(uuid)")
        let metadata = try XCTUnwrap(json["metadata"] as? [String: Any])
        XCTAssertNotNil((metadata["creationTimestamp"] as? String).flatMap { ISO8601DateFormatter.withFractions.date(from: $0) })
        // jq works on it, as the README promises.
        XCTAssertEqual(m.sh("jq -r .sha1 $M/\(Self.agentDir)/meta.json").trimmed, sha1)
        // The original's mtime is the upload time, within the test's own run.
        let mtime = Double(m.sh("stat -c %Y $M/\(Self.agentDir)/\(Self.agent).rpm").trimmed) ?? 0
        XCTAssertEqual(mtime, Date().timeIntervalSince1970, accuracy: 300)
        // stat and du see true sizes.
        XCTAssertEqual(Int(m.sh("stat -c %s $M/\(Self.agentDir)/\(Self.agent).rpm").trimmed), size)
    }

    func testReceiptLinkAndLatest() throws {
        let m = try MountedStore.make(self)
        for version in ["1.10.0", "1.9.2", "1.2.0"] {
            let file = TestPackages.randomFile("\(m.root)/tool-\(version)-1.el8.noarch.tar.gz", size: 1000)
            // Not gzip inside: stored as corrupt, still filed; use real tarballs instead.
            Shell.run("rm \(file) && tar czf \(file) -C /etc hostname")
            XCTAssertTrue(m.sh("cp \(file) $M/incoming/").ok)
        }
        XCTAssertEqual(m.sh("readlink $M/incoming/tool-1.9.2-1.el8.noarch.tar.gz").trimmed,
                       "../GENERIC_PACKAGE/el8/noarch/1.9.2/tool-1.9.2-1.el8.noarch")
        XCTAssertEqual(m.sh("readlink $M/GENERIC_PACKAGE/el8/noarch/latest").trimmed, "1.10.0")
        XCTAssertEqual(m.sh("ls $M/GENERIC_PACKAGE/el8/noarch/").stdout.split(separator: "\n").count, 4)
        XCTAssertEqual(m.sh("ls -f $M/GENERIC_PACKAGE/el8/noarch/ | grep -v '^\\.'").stdout, "1.2.0\n1.9.2\n1.10.0\nlatest\n",
                       "version directories list in version order")
        XCTAssertTrue(m.sh("ls $M/incoming/tool-1.2.0-1.el8.noarch.tar.gz/meta.json").ok, "receipt resolves")
        XCTAssertTrue(m.sh("rm $M/incoming/tool-1.2.0-1.el8.noarch.tar.gz").ok, "receipts can be removed")
        XCTAssertFalse(m.sh("test -e $M/incoming/tool-1.2.0-1.el8.noarch.tar.gz").ok)
        XCTAssertTrue(m.sh("test -d $M/GENERIC_PACKAGE/el8/noarch/1.2.0").ok, "the package stays")
    }

    /// The kernel keeps listings until a directory's mtime moves: every change moves the mtime
    /// of the directories listed from the catalog; a package directory keeps its upload time.
    func testDirectoryTimesMoveWithEveryChange() throws {
        let m = try MountedStore.make(self)
        let dirs = ["", "/incoming", "/by-id", "/by-sha256", "/GENERIC_PACKAGE", "/GENERIC_PACKAGE/el8/noarch"]
        func times() -> [String] {
            dirs.map { m.sh("stat -c %.9Y $M\($0)").trimmed }
        }
        let first = "\(m.root)/clock-1.0-1.el8.noarch.tar.gz"
        Shell.run("tar czf \(first) -C /etc hostname")
        XCTAssertTrue(m.sh("cp \(first) $M/incoming/").ok, m.log)
        let afterFirst = times()
        let package = "$M/GENERIC_PACKAGE/el8/noarch/1.0/clock-1.0-1.el8.noarch"
        let packageTime = m.sh("stat -c %.9Y \(package)").trimmed

        let second = "\(m.root)/clock-2.0-1.el8.noarch.tar.gz"
        Shell.run("tar czf \(second) -C /etc hostname passwd")
        XCTAssertTrue(m.sh("cp \(second) $M/incoming/").ok, m.log)
        let afterSecond = times()
        XCTAssertTrue(m.sh("rmdir $M/GENERIC_PACKAGE/el8/noarch/2.0/clock-2.0-1.el8.noarch").ok, m.log)
        let afterDelete = times()

        for (i, dir) in dirs.enumerated() {
            XCTAssertLessThan(Double(afterFirst[i])!, Double(afterSecond[i])!, "mtime of \(dir.isEmpty ? "/" : dir) after an upload")
            XCTAssertLessThan(Double(afterSecond[i])!, Double(afterDelete[i])!, "mtime of \(dir.isEmpty ? "/" : dir) after a delete")
        }
        XCTAssertEqual(m.sh("stat -c %.9Y \(package)").trimmed, packageTime, "a package directory keeps its upload time")
        XCTAssertEqual(m.sh("ls $M/by-id | wc -l").trimmed, "2", "the listing read before the delete is not kept")
    }

    func testSameBytesAgainStoresOneCopy() throws {
        let m = try MountedStore.make(self)
        let file = "\(m.root)/dup-1.0-1.el7.x86_64.tar.gz"
        Shell.run("tar czf \(file) -C /etc hostname passwd")
        XCTAssertTrue(m.sh("cp \(file) $M/incoming/").ok)
        XCTAssertTrue(m.sh("rm $M/incoming/dup-1.0-1.el7.x86_64.tar.gz").ok)
        let again = m.sh("cp \(file) $M/incoming/")
        XCTAssertTrue(again.ok, "same bytes again must succeed: \(again.stderr)")
        // Same bytes under another name: a second package, one blob.
        XCTAssertTrue(m.sh("cp \(file) $M/incoming/dup-copy-1.0-1.el7.x86_64.tar.gz").ok)
        XCTAssertEqual(m.sh("find $S/blobs -type f | wc -l").trimmed, "1")
        XCTAssertEqual(m.sh("ls $M/by-id | wc -l").trimmed, "4", "two packages, each by id and uuid")
        XCTAssertEqual(m.sh("ls $S/tmp | wc -l").trimmed, "0", "no temp files left")
    }

    func testOtherBytesUnderTheSameNameAreRefused() throws {
        let m = try MountedStore.make(self)
        let name = "conflict-2.0-1.el7.x86_64.tar.gz"
        Shell.run("tar czf \(m.root)/\(name) -C /etc hostname")
        XCTAssertTrue(m.sh("cp \(name) $M/incoming/").ok)
        let before = m.sh("cat $M/GENERIC_PACKAGE/el7/x86_64/2.0/conflict-2.0-1.el7.x86_64/meta.json").stdout
        Shell.run("mkdir -p \(m.root)/other && tar czf \(m.root)/other/\(name) -C /etc passwd")
        // The receipt of the first upload holds the name in incoming/; remove it, then upload other bytes.
        let second = m.sh("rm $M/incoming/\(name) && cp other/\(name) $M/incoming/")
        XCTAssertFalse(second.ok)
        XCTAssertTrue(second.stderr.contains("File exists"), second.stderr)
        XCTAssertEqual(m.sh("cat $M/GENERIC_PACKAGE/el7/x86_64/2.0/conflict-2.0-1.el7.x86_64/meta.json").stdout, before,
                       "nothing of the existing package changes")
        XCTAssertTrue(m.sh("cmp \(name) $M/GENERIC_PACKAGE/el7/x86_64/2.0/conflict-2.0-1.el7.x86_64/\(name)").ok)
        XCTAssertTrue(m.log.contains("already exists as an available package"), m.log)
    }

    func testBadContentIsKeptAsCorruptAndCloseFailsWithEIO() throws {
        let m = try MountedStore.make(self)
        let name = "broken-1.0-1.el7.x86_64.rpm"
        _ = TestPackages.randomFile("\(m.root)/\(name)", size: 10_000)
        let cp = m.sh("cp \(name) $M/incoming/")
        XCTAssertFalse(cp.ok)
        XCTAssertTrue(cp.stderr.contains("Input/output error"), cp.stderr)
        let dir = "$M/GENERIC_PACKAGE/el7/x86_64/1.0/broken-1.0-1.el7.x86_64"
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "corrupt\n")
        let details = m.sh("jq -r '.packageStateDetails[0].detail' \(dir)/meta.json").trimmed
        XCTAssertTrue(details.contains("named like an rpm file"), details)
        XCTAssertTrue(m.sh("cmp \(name) \(dir)/\(name)").ok, "the upload is kept")
        XCTAssertTrue(m.log.contains("as corrupt"), m.log)
    }

    func testEmptyUploadIsCorrupt() throws {
        let m = try MountedStore.make(self)
        let touch = m.sh("touch $M/incoming/empty-1.0-1.el7.x86_64.tar.gz")
        XCTAssertFalse(touch.ok, "an empty upload fails on close")
        // Registered by the release that follows close() (the kernel sends it afterwards).
        let state = "$M/GENERIC_PACKAGE/el7/x86_64/1.0/empty-1.0-1.el7.x86_64/state"
        XCTAssertTrue(m.waitUntil(timeout: 10) { m.sh("test -e \(state)").ok })
        XCTAssertEqual(m.sh("cat \(state)").stdout, "corrupt\n")
        let details = m.sh("jq -r '.packageStateDetails[0].title' $M/GENERIC_PACKAGE/el7/x86_64/1.0/empty-1.0-1.el7.x86_64/meta.json")
        XCTAssertEqual(details.trimmed, "Empty upload")
    }

    /// A writer killed mid-copy (kill -9, Ctrl-C) has its file closed by the kernel: a plain
    /// file cut short must not be `available`. It is `incomplete`, says why, and the whole file
    /// replaces it. A writer that exits without closing (the kernel closes for it) is no interruption.
    func testAnUploadWhoseWriterIsKilledIsIncomplete() throws {
        let m = try MountedStore.make(self)
        _ = TestPackages.randomFile("\(m.root)/cut-2.0-1.el7.x86_64.bin", size: 3 << 20)
        func write(_ name: String, thenEnd ending: String) -> ShellResult {
            m.sh("""
                python3 -c 'import os, signal
                fd = os.open("'$M'/incoming/\(name)", os.O_WRONLY | os.O_CREAT, 0o644)
                os.write(fd, open("cut-2.0-1.el7.x86_64.bin", "rb").read(1 << 20))
                \(ending)'
                """)
        }
        XCTAssertFalse(write("cut-2.0-1.el7.x86_64.bin", thenEnd: "os.kill(os.getpid(), signal.SIGKILL)").ok)
        let dir = "$M/GENERIC_PACKAGE/el7/x86_64/2.0/cut-2.0-1.el7.x86_64"
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "incomplete\n", m.log)
        let detail = m.sh("jq -r '.packageStateDetails[0] | .title + \": \" + .detail' \(dir)/meta.json").trimmed
        XCTAssertTrue(detail.hasPrefix("Upload interrupted: "), detail)
        XCTAssertTrue(detail.contains("signal 9") && detail.contains("after 1048576 bytes"), detail)
        XCTAssertTrue(m.log.contains("registered as incomplete: Upload interrupted"), m.log)

        XCTAssertTrue(m.sh("rm $M/incoming/cut-2.0-1.el7.x86_64.bin && cp cut-2.0-1.el7.x86_64.bin $M/incoming/").ok,
                      "the whole file replaces an incomplete one")
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "available\n")
        XCTAssertTrue(m.sh("cmp cut-2.0-1.el7.x86_64.bin \(dir)/cut-2.0-1.el7.x86_64.bin").ok)

        XCTAssertTrue(write("exits-1.0-1.el7.x86_64.bin", thenEnd: "os._exit(0)").ok)
        XCTAssertEqual(m.sh("cat $M/GENERIC_PACKAGE/el7/x86_64/1.0/exits-1.0-1.el7.x86_64/state").stdout, "available\n")
        XCTAssertFalse(write("term-1.0-1.el7.x86_64.bin", thenEnd: "os.kill(os.getpid(), signal.SIGTERM)").ok)
        XCTAssertEqual(m.sh("cat $M/GENERIC_PACKAGE/el7/x86_64/1.0/term-1.0-1.el7.x86_64/state").stdout, "incomplete\n")
    }

    /// `cat x > incoming/x`, `dd of=incoming/x` and `curl > incoming/x` close a duplicate of the
    /// descriptor before the first byte: the upload goes on and the last close registers it.
    func testUploadThroughShellRedirectionAndDd() throws {
        let m = try MountedStore.make(self)
        let rpm = try TestPackages.rpm(name: "redirected", version: "1.0", release: "1.el7", in: m.root)
        let name = (rpm as NSString).lastPathComponent
        XCTAssertTrue(m.sh("cat \(Shell.quote(rpm)) > $M/incoming/\(name)").ok)
        let dir = "$M/incoming/\(name)/"
        XCTAssertEqual(m.sh("cat \(dir)state").stdout, "available\n")
        XCTAssertTrue(m.sh("cmp \(Shell.quote(rpm)) \(dir)\(name)").ok)

        // Odd write sizes across the point where a plain file's bytes start to bypass the page cache.
        _ = TestPackages.randomFile("\(m.root)/plain-2.0.bin", size: 9 << 20 | 123)
        XCTAssertTrue(m.sh("dd if=plain-2.0.bin of=$M/incoming/plain-2.0.bin bs=777 status=none").ok)
        XCTAssertTrue(m.sh("cmp plain-2.0.bin $M/incoming/plain-2.0.bin/plain-2.0.bin").ok)
        XCTAssertEqual(m.sh("jq -r .sha1 $M/incoming/plain-2.0.bin/meta.json").trimmed,
                       m.sh("sha1sum < plain-2.0.bin").stdout.split(separator: " ").first.map(String.init))
    }

    /// rsync, ansible and atomic writers write a temporary `.name.XXXX` in incoming/ and rename
    /// it to its final name: the rename registers it, with the answer close() would have given.
    func testTemporaryUploadsAreRegisteredByTheirRename() throws {
        let m = try MountedStore.make(self)
        let rpm = try TestPackages.rpm(name: "synced", version: "1.0", release: "1.el7", in: m.root)
        let name = (rpm as NSString).lastPathComponent
        let rsync = m.sh("rsync \(Shell.quote(rpm)) $M/incoming/")
        XCTAssertTrue(rsync.ok, rsync.stderr + m.log)
        XCTAssertEqual(m.sh("ls -A $M/incoming").stdout, "\(name)\n", "no temporary file left")
        XCTAssertEqual(m.sh("cat $M/incoming/\(name)/state").stdout, "available\n")
        XCTAssertTrue(m.sh("cmp \(Shell.quote(rpm)) $M/incoming/\(name)/\(name)").ok)
        XCTAssertTrue(m.sh("rsync \(Shell.quote(rpm)) $M/incoming/").ok, "the same bytes again")

        _ = TestPackages.randomFile("\(m.root)/broken-1.0-1.el7.x86_64.tar.gz", size: 300)
        let broken = m.sh("rsync broken-1.0-1.el7.x86_64.tar.gz $M/incoming/")
        XCTAssertFalse(broken.ok)
        XCTAssertTrue(broken.stderr.contains("Input/output error"), broken.stderr)
        XCTAssertEqual(m.sh("cat $M/incoming/broken-1.0-1.el7.x86_64.tar.gz/state").stdout, "corrupt\n")

        let atomic = m.sh("""
            python3 -c 'import os, sys, tempfile
            fd, tmp = tempfile.mkstemp(dir=sys.argv[1], prefix=".atomic")
            os.write(fd, open(sys.argv[2], "rb").read()); os.close(fd)
            os.replace(tmp, sys.argv[1] + "/atomic-2.0.bin")' $M/incoming \(Shell.quote(rpm))
            """)
        XCTAssertTrue(atomic.ok, atomic.stderr)
        XCTAssertEqual(m.sh("cat $M/incoming/atomic-2.0.bin/state").stdout, "available\n")

        // A final name is checked as create checks it; the temporary file stays for another try.
        let badNames = m.sh("""
            cp \(Shell.quote(rpm)) $M/incoming/.retry && python3 -c 'import os, sys
            d = sys.argv[1].encode()
            for name in (b"bad\\xffname-1.0.bin", b"a" * 256):
                try: os.rename(d + b"/.retry", d + b"/" + name)
                except OSError as e: print(e.strerror)' $M/incoming
            """)
        XCTAssertEqual(badNames.stdout, "Invalid argument\nFile name too long\n", badNames.stderr)
        XCTAssertTrue(m.sh("mv -T $M/incoming/.retry $M/incoming/retried-1.0.bin").ok, m.log)
        XCTAssertEqual(m.sh("cat $M/incoming/retried-1.0.bin/state").stdout, "available\n")

        // Download to a temporary name, verify, then move into place: it reads back whole, also
        // past the point where a plain file's bytes would bypass the page cache.
        _ = TestPackages.randomFile("\(m.root)/big-1.0.bin", size: 9 << 20 | 321)
        XCTAssertTrue(m.sh("cp big-1.0.bin $M/incoming/.big.part && cmp big-1.0.bin $M/incoming/.big.part").ok, m.log)
        XCTAssertFalse(m.sh("echo more >> $M/incoming/.big.part").ok, "nothing reopens it to write")
        XCTAssertTrue(m.sh("mv -T $M/incoming/.big.part $M/incoming/big-1.0.bin && cmp big-1.0.bin $M/incoming/big-1.0.bin/big-1.0.bin").ok)

        // A temporary file removed is gone with its bytes.
        XCTAssertTrue(m.sh("cp \(Shell.quote(rpm)) $M/incoming/.abandoned && ls -A $M/incoming | grep -qx .abandoned").ok)
        XCTAssertTrue(m.sh("rm $M/incoming/.abandoned").ok)
        XCTAssertFalse(m.sh("ls -A $M/incoming | grep -q abandoned").ok)
        XCTAssertEqual(m.sh("ls -A $S/tmp | grep -c upload-").trimmed, "0", "its temp file is gone")

        // Nothing else is renamed or made; the refusal says why, in the log too.
        let mv = m.sh("mv $M/incoming/\(name) $M/incoming/other.rpm")
        XCTAssertTrue(mv.stderr.contains("Permission denied"), mv.stderr)
        XCTAssertTrue(m.sh("mkdir $M/incoming/d").stderr.contains("Permission denied"))
        XCTAssertTrue(m.log.contains("rename /incoming/\(name) to /incoming/other.rpm: \(name) cannot be renamed: only a temporary upload"), m.log)
        XCTAssertTrue(m.log.contains("directories come from the packages"), m.log)
    }

    func testRemountFindsEverythingAgain() throws {
        let m = try MountedStore.make(self)
        let rpm = try TestPackages.rpm(name: "t-oceanbase-ocp-agent", version: "3.1.2",
                                       release: "20210812221645.alios7", in: m.root)
        XCTAssertTrue(m.sh("cp \(Shell.quote(rpm)) $M/incoming/").ok)
        let meta = m.sh("cat $M/\(Self.agentDir)/meta.json").stdout
        let listing = m.sh("cd $M && find . | sort").stdout
        m.unmount()
        XCTAssertFalse(m.sh("test -e $M/incoming").ok, "unmounted")
        try m.mount()
        XCTAssertEqual(m.sh("cd $M && find . | sort").stdout, listing)
        XCTAssertEqual(m.sh("cat $M/\(Self.agentDir)/meta.json").stdout, meta)
        XCTAssertTrue(m.sh("cmp \(Shell.quote(rpm)) $M/\(Self.agentDir)/\(Self.agent).rpm").ok)
        XCTAssertEqual(m.sh("readlink $M/by-id/1").trimmed, "../" + Self.agentDir)
    }

    func testLargeUploadKeepsMemoryFlat() throws {
        let m = try MountedStore.make(self)
        let name = "large-1.0-1.el7.x86_64.bin"
        // 1 GiB, sparse on the source side so making it is quick; every byte still crosses FUSE.
        Shell.run("truncate -s 1G \(m.root)/\(name) && printf 'tail' >> \(m.root)/\(name)")
        let cp = m.sh("cp --sparse=never \(name) $M/incoming/")
        XCTAssertTrue(cp.ok, cp.stderr)
        let peak = try XCTUnwrap(m.daemonPeakRSSKiB)
        XCTAssertLessThan(peak, 100 * 1024, "pkgfs peak RSS \(peak) KiB during a 1 GiB upload")
        let expected = m.sh("sha256sum \(name) | cut -d' ' -f1").trimmed
        XCTAssertEqual(m.sh("getfattr --only-values -n user.pkgfs.sha256 $M/GENERIC_PACKAGE/el7/x86_64/1.0/large-1.0-1.el7.x86_64").stdout, expected)
        Shell.run("rm -f \(m.root)/\(name)")
    }
}

extension ISO8601DateFormatter {
    static var withFractions: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
}
