import Foundation
import TestSupport
import XCTest

/// Issue 7, hostile input through a real mount: symlink loops and 10,000 entries in a payload,
/// upload names at and over NAME_MAX or with a newline or bytes that are not UTF-8, member
/// names with the same, and writes at random offsets in incoming/. Each gives a clear answer
/// (an errno, or a package in a stated state), never a hang, and the mount keeps answering.
final class HostileInputTests: XCTestCase {
    /// Every shell command here runs under `timeout`: a hang fails the test instead of stalling it.
    private static let limit = "timeout 60"

    func testSymlinkLoopsInAPayloadAnswerWithoutHanging() throws {
        let m = try MountedStore.make(self)
        // `tar -x` extracts these without complaint, so they are a valid package.
        let dir = try uploadTarball(m, "loops", "making the loops", """
            echo real > real.txt
            ln -s b a && ln -s a b && ln -s self self && ln -s . up && ln -s a/x deep
            """)

        let listing = m.sh("\(Self.limit) ls -l \(dir)/files/")
        XCTAssertTrue(listing.ok, listing.stderr)
        for link in ["a -> b", "b -> a", "self -> self", "up -> .", "deep -> a/x"] {
            XCTAssertTrue(listing.stdout.contains(link), "\(link) in\n\(listing.stdout)")
        }
        XCTAssertEqual(m.sh("\(Self.limit) readlink \(dir)/files/a \(dir)/files/b \(dir)/files/self").stdout, "b\na\nself\n")
        // Following a loop is the kernel's business and ends in ELOOP, not in a hang.
        for loop in ["a", "b", "self", "deep"] {
            let cat = m.sh("\(Self.limit) cat \(dir)/files/\(loop)")
            XCTAssertEqual(cat.status, 1, "\(loop): \(cat.stderr)")
            XCTAssertTrue(cat.stderr.contains("Too many levels of symbolic links"), "\(loop): \(cat.stderr)")
        }
        XCTAssertEqual(m.sh("\(Self.limit) cat \(dir)/files/up/up/up/up/real.txt").stdout, "real\n")
        let find = m.sh("\(Self.limit) find -L \(dir)/files")
        XCTAssertNotEqual(find.status, 124, "find -L must end")
        XCTAssertTrue(find.stdout.contains("/files/real.txt"), find.stdout)
        let readlinkF = m.sh("\(Self.limit) readlink -f \(dir)/files/up/up/up/real.txt")
        XCTAssertTrue(readlinkF.trimmed.hasSuffix("/files/real.txt"), readlinkF.stdout + readlinkF.stderr)
        try assertAnswering(m, dir)
    }

    func testAPayloadWithTenThousandEntriesIsListedWhole() throws {
        let m = try MountedStore.make(self)
        let dir = try uploadTarball(m, "many", "making 10,000 files", """
            seq -f 'f%05g' 1 10000 | xargs touch
            echo first > f00001 && echo last > f10000
            """)
        XCTAssertEqual(m.sh("tar tzf many-1.0-1.el8.x86_64.tar.gz | wc -l").trimmed, "10001", "10,000 files and ./")

        let started = Date()
        let listing = m.sh("\(Self.limit) ls -f \(dir)/files/")
        XCTAssertTrue(listing.ok, listing.stderr)
        let names = Set(listing.stdout.split(separator: "\n").map(String.init)).subtracting([".", ".."])
        XCTAssertEqual(names.count, 10_000)
        XCTAssertEqual(names, Set((1...10_000).map { String(format: "f%05d", $0) }))
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "listing 10,000 entries")
        XCTAssertEqual(m.sh("\(Self.limit) ls -l \(dir)/files/ | tail -n +2 | wc -l").trimmed, "10000", "every entry stats")
        XCTAssertEqual(m.sh("\(Self.limit) du -a \(dir)/files/ | wc -l").trimmed, "10001")
        XCTAssertEqual(m.sh("cat \(dir)/files/f00001 \(dir)/files/f10000").stdout, "first\nlast\n")
        XCTAssertFalse(m.sh("test -e \(dir)/files/f10001").ok)
        let meta = m.sh("\(Self.limit) cat \(dir)/meta.json")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(meta.stdout.utf8)) as? [String: Any], meta.stderr)
        XCTAssertEqual(json["packageState"] as? String, "available")
        XCTAssertEqual(json["format"] as? String, "archive")
        try assertAnswering(m, dir)
    }

    func testUploadNamesAtAndOverNameMax() throws {
        let m = try MountedStore.make(self)
        let suffix = "-1.0-1.el7.x86_64.bin"
        let longest = String(repeating: "n", count: 255 - suffix.utf8.count) + suffix
        XCTAssertEqual(longest.utf8.count, 255)
        _ = TestPackages.randomFile("\(m.root)/\(longest)", size: 5000)
        let cp = m.sh("\(Self.limit) cp \(longest) $M/incoming/")
        XCTAssertTrue(cp.ok, "\(cp.stderr)\n\(m.log)")
        let stem = String(longest.dropLast(4))
        let dir = "$M/GENERIC_PACKAGE/el7/x86_64/1.0/\(stem)"
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "available\n")
        XCTAssertTrue(m.sh("cmp \(longest) \(dir)/\(longest)").ok, "the 255-byte name reads back")
        XCTAssertEqual(m.sh("readlink $M/incoming/\(longest)").trimmed, "../GENERIC_PACKAGE/el7/x86_64/1.0/\(stem)")
        XCTAssertEqual(m.sh("jq -r .fileName \(dir)/meta.json").trimmed, longest)

        // One byte more: the kernel refuses it before pkgfs sees it (ENAMETOOLONG).
        let tooLong = "n" + longest
        let over = m.sh("\(Self.limit) cp \(longest) $M/incoming/\(tooLong)")
        XCTAssertFalse(over.ok)
        XCTAssertTrue(over.stderr.contains("File name too long"), over.stderr)
        XCTAssertEqual(m.sh("ls $M/by-sha256 | wc -l").trimmed, "1", "only the 255-byte upload is registered")
        try assertNoStrayUpload(m)
        try assertAnswering(m, dir)
    }

    func testUploadNamesWithANewlineOrBytesThatAreNotUTF8AreRefused() throws {
        let m = try MountedStore.make(self)
        // $'…' gives bash the raw bytes: a newline, and 0xff/0xc3 (never valid UTF-8 there).
        for (label, name) in [("newline", "$'new\\nline-1.0-1.el7.x86_64.bin'"),
                              ("tab", "$'tab\\tbed-1.0-1.el7.x86_64.bin'"),
                              ("0xff", "$'bad\\xff-1.0-1.el7.x86_64.bin'"),
                              ("truncated sequence", "$'cut\\xc3-1.0-1.el7.x86_64.bin'")] {
            Shell.run("head -c 3000 /dev/urandom > \(m.root)/\(name)")
            let cp = m.sh("\(Self.limit) cp \(name) $M/incoming/")
            XCTAssertFalse(cp.ok, "\(label): refused")
            XCTAssertTrue(cp.stderr.contains("Invalid argument"), "\(label): EINVAL, not \(cp.stderr)")
            XCTAssertEqual(m.sh("ls $M/by-id").stdout, "", "\(label): nothing registered")
            XCTAssertEqual(m.sh("ls -A $M/incoming").stdout, "", "\(label): no receipt")
            XCTAssertFalse(m.sh("test -e $M/GENERIC_PACKAGE").ok, "\(label): no directory made")
            try assertNoStrayUpload(m)
        }
        XCTAssertTrue(m.log.contains("is not a valid package file name"), m.log)
        XCTAssertFalse(m.log.split(separator: "\n").contains { $0.hasPrefix("line-1.0") },
                       "a name's newline does not start a line of the log that reads as an event of its own")
        XCTAssertTrue(m.log.contains("create /incoming/new\\nline-1.0-1.el7.x86_64.bin"), "named by its path in the mount: \(m.log)")
        // A plain UTF-8 name beside them still works.
        _ = TestPackages.randomFile("\(m.root)/héllo-1.0-1.el7.x86_64.bin", size: 3000)
        XCTAssertTrue(m.sh("cp héllo-1.0-1.el7.x86_64.bin $M/incoming/").ok)
        try assertAnswering(m, "$M/GENERIC_PACKAGE/el7/x86_64/1.0/héllo-1.0-1.el7.x86_64")
    }

    func testPayloadMemberNamesWithANewlineOrBytesThatAreNotUTF8() throws {
        let m = try MountedStore.make(self)
        let dir = try uploadTarball(m, "oddnames", "making odd member names", """
            printf nl > $'new\\nline.txt'
            printf ff > $'bad\\xff.txt'
            printf fe > $'bad\\xfe.txt'
            mkdir $'dir\\xe9' && printf inner > $'dir\\xe9/inner.txt'
            ln -s $'bad\\xff.txt' link-to-ff
            printf plain > plain.txt
            """)

        // Every member is there once: two names that differ only in a byte that is not UTF-8
        // must not collapse into one (which would lose a file).
        let count = m.sh("\(Self.limit) find \(dir)/files -mindepth 1 -printf x | wc -c")
        XCTAssertEqual(count.trimmed, "7", "7 entries, as tar lists them")
        XCTAssertEqual(m.sh("cat \(dir)/files/$'new\\nline.txt'").stdout, "nl")
        XCTAssertEqual(m.sh("cat \(dir)/files/plain.txt").stdout, "plain")
        let contents = m.sh("for f in \(dir)/files/bad*; do cat \"$f\"; echo; done | sort")
        XCTAssertEqual(contents.stdout, "fe\nff\n", "both non-UTF-8 names read their own bytes")
        XCTAssertEqual(m.sh("cat \(dir)/files/dir*/inner.txt").stdout, "inner")
        // The symlink's target names the same member, so following it works.
        XCTAssertEqual(m.sh("cat \(dir)/files/link-to-ff").stdout, "ff")
        // Names the mount shows are UTF-8, so meta.json and scripts can carry them.
        let shown = m.sh("ls \(dir)/files | iconv -f UTF-8 -t UTF-8 >/dev/null")
        XCTAssertTrue(shown.ok, shown.stderr)
        try assertAnswering(m, dir)
    }

    func testWritesAtRandomOffsetsGiveTheBytesAsFinallyWritten() throws {
        let m = try MountedStore.make(self)
        // An RPM, so registration parses what was written: only the final bytes in order parse.
        let rpm = try TestPackages.rpm(name: "scatter", version: "1.0", release: "1.el7", payloadBytes: 300_000, in: m.root)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: rpm)))
        let chunk = 4096 * 3 + 17  // not page-aligned: the kernel passes each write through as is
        var chunks = Array(stride(from: 0, to: bytes.count, by: chunk))
        var rng = SystemRandomNumberGenerator()
        chunks.shuffle(using: &rng)
        XCTAssertNotEqual(chunks, chunks.sorted(), "out of order")

        let path = m.mountPoint + "/incoming/" + (rpm as NSString).lastPathComponent
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0, String(cString: strerror(errno)))
        guard fd >= 0 else { return }
        // First garbage over the header, later overwritten: only the last write counts.
        let garbage = [UInt8](repeating: 0xAB, count: 2 * chunk)
        XCTAssertEqual(garbage.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }, garbage.count)
        // The last chunk first leaves a hole that later writes fill.
        for start in chunks {
            let end = min(start + chunk, bytes.count)
            let written = bytes[start..<end].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(start)) }
            XCTAssertEqual(written, end - start, "pwrite at \(start): \(String(cString: strerror(errno)))")
        }
        XCTAssertEqual(close(fd), 0, "close registers: \(String(cString: strerror(errno)))\n\(m.log)")

        let dir = "$M/GENERIC_PACKAGE/el7/x86_64/1.0/scatter-1.0-1.el7.x86_64"
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "available\n", m.log)
        XCTAssertTrue(m.sh("cmp \(Shell.quote(rpm)) \(dir)/scatter-1.0-1.el7.x86_64.rpm").ok)
        let sha256 = m.sh("sha256sum \(Shell.quote(rpm)) | cut -d' ' -f1").trimmed
        let sha1 = m.sh("sha1sum \(Shell.quote(rpm)) | cut -d' ' -f1").trimmed
        XCTAssertEqual(m.sh("jq -r .sha256 \(dir)/meta.json").trimmed, sha256, "digests of the final bytes")
        XCTAssertEqual(m.sh("jq -r .sha1 \(dir)/meta.json").trimmed, sha1)
        XCTAssertEqual(m.sh("readlink $M/by-sha256/\(sha256)").trimmed, "../GENERIC_PACKAGE/el7/x86_64/1.0/scatter-1.0-1.el7.x86_64")
        XCTAssertEqual(m.sh("jq -r .size \(dir)/meta.json").trimmed, "\(bytes.count)")

        // A hole never written reads as zeros, as in any file, and is hashed that way.
        let holed = m.mountPoint + "/incoming/holed-1.0-1.el7.x86_64.bin"
        let hfd = open(holed, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        XCTAssertGreaterThanOrEqual(hfd, 0)
        let tail = [UInt8]("tail".utf8)
        XCTAssertEqual(tail.withUnsafeBytes { pwrite(hfd, $0.baseAddress, $0.count, 100_000) }, 4)
        XCTAssertEqual(tail.withUnsafeBytes { pwrite(hfd, $0.baseAddress, $0.count, 0) }, 4)
        XCTAssertEqual(close(hfd), 0)
        Shell.run("cd \(m.root) && { printf tail; head -c 99996 /dev/zero; printf tail; } > holed.expected")
        let hdir = "$M/GENERIC_PACKAGE/el7/x86_64/1.0/holed-1.0-1.el7.x86_64"
        XCTAssertTrue(m.sh("cmp holed.expected \(hdir)/holed-1.0-1.el7.x86_64.bin").ok)
        XCTAssertEqual(m.sh("jq -r .sha256 \(hdir)/meta.json").trimmed,
                       m.sh("sha256sum holed.expected | cut -d' ' -f1").trimmed)
        try assertNoStrayUpload(m)
        try assertAnswering(m, dir)
    }

    // MARK: -

    /// The mount still answers: the root lists, the package's meta.json parses.
    /// Builds `<stem>-1.0-1.el8.x86_64.tar.gz` of what `script` makes in an empty directory,
    /// uploads it and checks it registered `available`; returns its package directory (with $M).
    private func uploadTarball(_ m: MountedStore, _ stem: String, _ what: String, _ script: String,
                               file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let name = "\(stem)-1.0-1.el8.x86_64.tar.gz"
        try PayloadFixtures.run("""
            mkdir -p \(m.root)/\(stem) && cd \(m.root)/\(stem)
            \(script)
            tar czf ../\(name) .
            """, what)
        let cp = m.sh("\(Self.limit) cp \(name) $M/incoming/")
        XCTAssertTrue(cp.ok, "\(cp.stderr)\n\(m.log)", file: file, line: line)
        let dir = "$M/GENERIC_PACKAGE/el8/x86_64/1.0/\(stem)-1.0-1.el8.x86_64"
        XCTAssertEqual(m.sh("cat \(dir)/state").stdout, "available\n", file: file, line: line)
        return dir
    }

    private func assertAnswering(_ m: MountedStore, _ dir: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let root = m.sh("\(Self.limit) ls $M")
        XCTAssertTrue(root.ok && root.stdout.contains("incoming"), "the mount answers: \(root.stderr)", file: file, line: line)
        let meta = m.sh("\(Self.limit) cat \(dir)/meta.json")
        XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(meta.stdout.utf8)), "meta.json: \(meta.stderr)",
                        file: file, line: line)
        XCTAssertTrue(m.sh("grep -qs \(Shell.quote(" " + m.mountPoint + " ")) /proc/mounts").ok, "still mounted",
                      file: file, line: line)
    }

    /// No upload left in the store's tmp/ once every file is closed.
    private func assertNoStrayUpload(_ m: MountedStore, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(m.sh("ls -A $S/tmp").stdout, "", "no temp file left behind", file: file, line: line)
    }
}
