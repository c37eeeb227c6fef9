import Foundation
import TestSupport
import XCTest

/// SPEC §3 through a real mount: `<PKG>/files/` is what the format's own tools extract —
/// same paths, same bytes, same modes and symlink targets, same mtimes where the format
/// records them.
final class PayloadTreeTests: XCTestCase {
    func testRPMFilesMatchRpm2cpioForXzZstdAndGzipPayloads() throws {
        let m = try MountedStore.make(self)
        let tree = m.root + "/tree"
        try PayloadFixtures.makeTree(tree)
        var xz = PayloadFixtures.RPMOptions()
        xz.payload = "w6.xzdio"
        var zstd = PayloadFixtures.RPMOptions()
        zstd.name = "rich-arm"
        zstd.arch = "aarch64"
        zstd.payload = "w19.zstdio"
        var gzip = PayloadFixtures.RPMOptions()
        gzip.name = "rich-noarch"
        gzip.arch = "noarch"
        gzip.epoch = nil
        gzip.payload = "w9.gzdio"
        for options in [xz, zstd, gzip] {
            let rpm = try PayloadFixtures.rpm(options, tree: tree, in: m.root)
            let file = (rpm as NSString).lastPathComponent
            let cp = m.sh("cp \(Shell.quote(rpm)) $M/incoming/")
            XCTAssertTrue(cp.ok, "\(file): \(cp.stderr)\n\(m.log)")
            let ext = m.root + "/x-" + options.name
            try PayloadFixtures.run("mkdir \(ext) && cd \(ext) && umask 022 && rpm2cpio \(Shell.quote(rpm)) | cpio -idm --quiet",
                                    "rpm2cpio | cpio -idm")
            let files = "\(m.mountPoint)/incoming/\(file)/files"
            // Every recorded entry (dirs and symlinks too) has the mtime rpm records.
            let recorded = m.sh("rpm -qp --queryformat '[%{FILENAMES}|%{FILEMTIMES}\\n]' \(Shell.quote(rpm))")
            var recordedTimes: [String: Int] = [:]
            for line in recorded.stdout.split(separator: "\n") {
                let parts = line.split(separator: "|")
                recordedTimes["." + parts[0]] = Int(parts[1])
            }
            XCTAssertEqual(recordedTimes.count, 24, recorded.stdout)
            // cpio -idm restores the mtimes of regular files only; the header has them all.
            assertSameTree(files, ext, label: file, recordedMtimes: recordedTimes)
        }
        XCTAssertEqual(m.sh("ls $M/GENERIC_PACKAGE/alios7/").stdout, "aarch64\nnoarch\nx86_64\n")
    }

    func testDebFilesMatchDpkgDebExtractForXzAndZstd() throws {
        let m = try MountedStore.make(self)
        let tree = m.root + "/tree"
        try PayloadFixtures.makeTree(tree)
        for compression in ["xz", "zstd"] {
            let deb = try PayloadFixtures.deb(name: "rich-\(compression)", compression: compression, tree: tree, in: m.root)
            let file = (deb as NSString).lastPathComponent
            let cp = m.sh("cp \(Shell.quote(deb)) $M/incoming/")
            XCTAssertTrue(cp.ok, "\(file): \(cp.stderr)\n\(m.log)")
            let ext = m.root + "/x-" + compression
            try PayloadFixtures.run("umask 022 && dpkg-deb -x \(Shell.quote(deb)) \(ext)", "dpkg-deb -x")
            // data.tar records every entry, ./ and ./opt included.
            let recorded = TreeFacts.tarListingMtimes(
                m.sh("dpkg-deb --fsys-tarfile \(Shell.quote(deb)) | tar --utc --full-time -tvf -").stdout)
            XCTAssertEqual(recorded.count, 25)
            assertSameTree("\(m.mountPoint)/incoming/\(file)/files", ext, label: file, recordedMtimes: recorded)
            // dpkg-deb -c lists the same entries with the same modes, sizes and targets.
            let listed = Self.dpkgListing(m.sh("dpkg-deb -c \(Shell.quote(deb))").stdout)
            let hardLinks = Set(listed.filter { $0.value.size == nil && !$0.value.mode.hasPrefix("d") }.keys)
            XCTAssertEqual(hardLinks, ["./opt/rich/bin/hl-b"], "the fixture has one hard link")
            let found = Self.findListing(
                m.sh("cd $M/incoming/\(file)/files && find . -mindepth 1 -printf '%M\\t%s\\t%p\\t%l\\n'").stdout,
                hardLinks: hardLinks)
            XCTAssertEqual(listed.count, 25, "\(listed)")
            XCTAssertEqual(found.keys.sorted(), listed.keys.sorted(), "\(file): dpkg-deb -c paths")
            for (path, entry) in listed {
                XCTAssertEqual(found[path], entry, "\(file): dpkg-deb -c entry \(path)")
            }
        }
    }

    /// A tar header may record a symlink's mode as 0644 (hand-made data.tars do); Linux shows
    /// every symlink as lrwxrwxrwx, and so does files/.
    func testSymlinksShowAsLrwxrwxrwxWhateverTheHeaderRecords() throws {
        let m = try MountedStore.make(self)
        let made = m.sh("""
            python3 - <<'PY'
            import io, tarfile
            with tarfile.open("odd-1.0-1.el7.x86_64.tar.gz", "w:gz") as t:
                data = b"target bytes\\n"
                f = tarfile.TarInfo("target.txt"); f.size = len(data); f.mode = 0o644
                t.addfile(f, io.BytesIO(data))
                l = tarfile.TarInfo("link"); l.type = tarfile.SYMTYPE; l.linkname = "target.txt"; l.mode = 0o644
                t.addfile(l)
            PY
            cp odd-1.0-1.el7.x86_64.tar.gz $M/incoming/
            """)
        XCTAssertTrue(made.ok, made.stderr + m.log)
        let files = "$M/incoming/odd-1.0-1.el7.x86_64.tar.gz/files"
        XCTAssertEqual(m.sh("stat -c '%A %N' \(files)/link \(files)/target.txt").stdout,
                       "lrwxrwxrwx '\(m.mountPoint)/incoming/odd-1.0-1.el7.x86_64.tar.gz/files/link' -> 'target.txt'\n-rw-r--r-- '\(m.mountPoint)/incoming/odd-1.0-1.el7.x86_64.tar.gz/files/target.txt'\n")
        XCTAssertEqual(m.sh("cat \(files)/link").stdout, "target bytes\n")
    }

    func testTarAndZipFilesMatchTheirExtraction() throws {
        let m = try MountedStore.make(self)
        let tree = m.root + "/tree"
        try PayloadFixtures.makeTree(tree)
        // Only some paths: bin/ and share/ are not in the archive and are synthesized.
        let tgz = m.root + "/rich-tar-1.0-1.el8.x86_64.tar.gz"
        try PayloadFixtures.run("""
            cd \(tree) && tar czf \(tgz) bin/rich bin/hl-a bin/hl-b bin/suid bin/rich-abs lib private 'with space' \
              share/doc/héllo-wörld.txt share/deep-link
            """, "tar czf")
        let zip = m.root + "/rich-zip-1.0-1.el8.x86_64.zip"
        try PayloadFixtures.run("cd \(tree) && zip -qry \(zip) .", "zip -ry")
        for (archive, extract) in [(tgz, "tar -xf \(tgz) -C"), (zip, "unzip -qK \(zip) -d")] {
            let file = (archive as NSString).lastPathComponent
            let cp = m.sh("cp \(Shell.quote(archive)) $M/incoming/")
            XCTAssertTrue(cp.ok, "\(file): \(cp.stderr)\n\(m.log)")
            let ext = m.root + "/x-" + file
            try PayloadFixtures.run("mkdir \(ext) && umask 022 && \(extract) \(ext)", extract)
            // Synthesized parents (bin/, share/ of the tar) have no recorded mtime.
            let recorded: [String: Int]
            if archive.hasSuffix(".zip") {
                // unzip restores the mtimes of files and directories (not of symlinks).
                let facts = TreeFacts(ext)
                let links = Set(facts.links.map { String($0[..<$0.range(of: " -> ")!.lowerBound]) })
                recorded = facts.mtimes.filter { !links.contains($0.key) }
            } else {
                recorded = TreeFacts.tarListingMtimes(m.sh("tar --utc --full-time -tvf \(tgz)").stdout)
                XCTAssertNil(recorded["./bin"])
                XCTAssertNotNil(recorded["./lib/librich.so.1"])
            }
            assertSameTree("\(m.mountPoint)/incoming/\(file)/files", ext, label: file, recordedMtimes: recorded)
        }
        XCTAssertEqual(m.sh("stat -c '%a %F' $M/incoming/rich-tar-1.0-1.el8.x86_64.tar.gz/files/bin").trimmed, "755 directory",
                       "a synthesized parent is a 0755 directory")
    }

    func testPayloadNodesGoAwayWithTheirPackage() throws {
        let m = try MountedStore.make(self)
        let tgz = m.root + "/gone-1.0-1.el8.x86_64.tar.gz"
        try PayloadFixtures.run("mkdir -p \(m.root)/g/d && echo hi > \(m.root)/g/d/f && tar czf \(tgz) -C \(m.root)/g d", "tar")
        XCTAssertTrue(m.sh("cp \(tgz) $M/incoming/").ok)
        let dir = "$M/GENERIC_PACKAGE/el8/x86_64/1.0/gone-1.0-1.el8.x86_64"
        // Looked up and read, so the kernel caches them (long timeouts: payloads are immutable).
        XCTAssertEqual(m.sh("cat \(dir)/files/d/f").stdout, "hi\n")
        XCTAssertEqual(m.sh("ls \(dir)").stdout, "files\ngone-1.0-1.el8.x86_64.tar.gz\nmeta.json\nstate\n")
        XCTAssertTrue(m.sh("echo corrupt > \(dir)/state").ok, "a state change leaves files/ alone")
        XCTAssertEqual(m.sh("cat \(dir)/files/d/f").stdout, "hi\n")
        XCTAssertTrue(m.sh("rm \(dir)/gone-1.0-1.el8.x86_64.tar.gz").ok)
        XCTAssertFalse(m.sh("test -e \(dir)/files/d/f").ok, "a deleted package's payload is gone")
        XCTAssertFalse(m.sh("stat \(dir)/files").ok)
        // A plain file has no files/.
        _ = TestPackages.randomFile("\(m.root)/plain-1.0-1.el8.x86_64.bin", size: 100)
        XCTAssertTrue(m.sh("cp plain-1.0-1.el8.x86_64.bin $M/incoming/").ok)
        XCTAssertEqual(m.sh("ls $M/incoming/plain-1.0-1.el8.x86_64.bin/").stdout, "meta.json\nplain-1.0-1.el8.x86_64.bin\nstate\n")
        XCTAssertFalse(m.sh("test -e $M/incoming/plain-1.0-1.el8.x86_64.bin/files").ok)
    }

    func testPayloadIsReadOnly() throws {
        let m = try MountedStore.make(self)
        let tgz = m.root + "/ro-1.0-1.el8.x86_64.tar.gz"
        try PayloadFixtures.run("mkdir -p \(m.root)/g && echo hi > \(m.root)/g/f && tar czf \(tgz) -C \(m.root)/g f", "tar")
        XCTAssertTrue(m.sh("cp \(tgz) $M/incoming/").ok)
        let files = "$M/incoming/ro-1.0-1.el8.x86_64.tar.gz/files"
        XCTAssertFalse(m.sh("echo x >> \(files)/f").ok)
        XCTAssertFalse(m.sh("touch \(files)/new").ok)
        XCTAssertFalse(m.sh("rm \(files)/f").ok)
        XCTAssertFalse(m.sh("mkdir \(files)/d").ok)
        XCTAssertEqual(m.sh("cat \(files)/f").stdout, "hi\n")
        XCTAssertTrue(m.sh("grep -qs \(Shell.quote(" " + m.mountPoint + " ")).*nosuid,nodev /proc/mounts").ok,
                      "recorded setuid bits are shown; the mount must be nosuid,nodev")
    }

    // MARK: - helpers

    /// Compares `files` with the extraction `ext`: same paths, types and permission bits, same
    /// sizes and symlink targets, identical bytes (`diff -r` and `cmp`), the mtimes of regular
    /// files equal to the extraction's, and every mtime in `recordedMtimes` (what the archive
    /// records, by `./path`) equal to it.
    private func assertSameTree(_ files: String, _ ext: String, label: String, recordedMtimes: [String: Int],
                                file: StaticString = #filePath, line: UInt = #line) {
        let mine = TreeFacts(files), theirs = TreeFacts(ext)
        XCTAssertFalse(theirs.modes.isEmpty, "\(label): nothing extracted", file: file, line: line)
        XCTAssertEqual(mine.modes, theirs.modes, "\(label): paths, types and modes", file: file, line: line)
        XCTAssertEqual(mine.sizes, theirs.sizes, "\(label): sizes", file: file, line: line)
        XCTAssertEqual(mine.links, theirs.links, "\(label): symlink targets", file: file, line: line)
        let regular = theirs.regularFiles
        XCTAssertGreaterThan(regular.count, 5, "\(label): regular files", file: file, line: line)
        for path in regular.sorted() {
            XCTAssertEqual(mine.mtimes[path], theirs.mtimes[path], "\(label): mtime of \(path)", file: file, line: line)
        }
        XCTAssertGreaterThan(recordedMtimes.count, 5, "\(label): recorded mtimes", file: file, line: line)
        for (path, mtime) in recordedMtimes.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(mine.mtimes[path], mtime, "\(label): recorded mtime of \(path)", file: file, line: line)
        }
        let diff = Shell.run("diff -r --no-dereference \(Shell.quote(ext)) \(Shell.quote(files))")
        XCTAssertTrue(diff.ok, "\(label): diff -r: \(diff.stdout)\(diff.stderr)", file: file, line: line)
        // Each regular file compared byte for byte by cmp too (diff -r stops at "differ").
        let cmp = Shell.run("cd \(Shell.quote(ext)) && find . -type f -exec cmp {} \(Shell.quote(files))/{} \\;")
        XCTAssertTrue(cmp.ok && cmp.stdout.isEmpty, "\(label): cmp: \(cmp.stdout)\(cmp.stderr)", file: file, line: line)
    }

    struct Listed: Equatable, CustomStringConvertible {
        var mode: String
        /// nil for directories and hard links (dpkg-deb -c shows 0 for a hard link).
        var size: Int?
        var target: String?
        var description: String { "\(mode) \(size.map(String.init) ?? "-") \(target ?? "")" }
    }

    /// `dpkg-deb -c` (`-rw-r--r-- root/root 5 2024-01-01 00:00 ./opt/x -> y`) by path; a hard
    /// link (`hrw-r--r-- ... ./b link to ./a`) is the regular file it is in files/.
    static func dpkgListing(_ text: String) -> [String: Listed] {
        var out: [String: Listed] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard f.count == 6 else { continue }
            var mode = String(f[0])
            var size = Int(f[2])
            var path = String(f[5])
            var target: String?
            if mode.hasPrefix("h"), let r = path.range(of: " link to ") {
                mode = "-" + mode.dropFirst()
                path = String(path[..<r.lowerBound])
                size = nil
            } else if mode.hasPrefix("l"), let r = path.range(of: " -> ") {
                target = String(path[r.upperBound...])
                path = String(path[..<r.lowerBound])
                size = target?.utf8.count
            }
            if mode.hasPrefix("d") { size = nil }
            if path.hasSuffix("/") { path.removeLast() }
            if path == "." { continue }
            out[path] = Listed(mode: mode, size: size, target: target)
        }
        return out
    }

    /// `find -printf '%M\t%s\t%p\t%l\n'` in the same shape; `hardLinks` get no size.
    static func findListing(_ text: String, hardLinks: Set<String>) -> [String: Listed] {
        var out: [String: Listed] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 4 else { continue }
            let mode = String(f[0]), path = String(f[2])
            let size = mode.hasPrefix("d") || hardLinks.contains(path) ? nil : Int(f[1])
            out[path] = Listed(mode: mode, size: size, target: mode.hasPrefix("l") ? String(f[3]) : nil)
        }
        return out
    }
}
