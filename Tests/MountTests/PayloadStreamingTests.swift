import Foundation
import TestSupport
import XCTest

/// SPEC §3: reading a payload file streams — a large file inside an xz RPM reads back
/// identical to `rpm2cpio | cpio -idm`, in any order, with the daemon's memory staying low.
final class PayloadStreamingTests: XCTestCase {
    func testLargeXzPayloadFileStreamsWithFlatMemory() throws {
        let m = try MountedStore.make(self)
        // Debug logging shows how the reads were served (reader opens, bytes discarded).
        m.unmount()
        try m.mount(extra: "--log-level debug")
        let tree = m.root + "/tree"
        try PayloadFixtures.makeTree(tree, bigBytes: 1000)
        var options = PayloadFixtures.RPMOptions()
        options.name = "rich-big"
        options.payload = "w6.xzdio"  // xz preset 6: an 8 MiB dictionary to decode with
        // 64 MiB: a random 4 KiB block at the start of every MiB, zeros between (quick to xz,
        // and every MiB differs, so a wrong offset cannot read the right bytes).
        options.extraInstall = """
            for i in $(seq 64); do head -c 4096 /dev/urandom; head -c 1044480 /dev/zero; done > %{buildroot}/opt/rich/big.bin
            """
        let rpm = try PayloadFixtures.rpm(options, tree: tree, in: m.root)
        let file = (rpm as NSString).lastPathComponent
        let cp = m.sh("cp \(Shell.quote(rpm)) $M/incoming/")
        XCTAssertTrue(cp.ok, "\(cp.stderr)\n\(m.log)")
        let ext = m.root + "/x"
        try PayloadFixtures.run("mkdir \(ext) && cd \(ext) && rpm2cpio \(Shell.quote(rpm)) | cpio -idm --quiet", "rpm2cpio")
        let mine = "\(m.mountPoint)/incoming/\(file)/files/opt/rich/big.bin"
        let theirs = ext + "/opt/rich/big.bin"
        XCTAssertEqual(m.sh("stat -c %s \(Shell.quote(mine))").trimmed, String(64 << 20))

        // Cold cache, out of order: the end first, then backwards, then forwards, then back.
        let mib = 1 << 20
        for (offset, length) in [(60 * mib + 12_345, 300_000), (0, 200_000), (30 * mib + 777, 2 * mib),
                                 (mib + 5, 100_000), (64 * mib - 10, 100)] {
            func dd(_ path: String) -> String {
                "dd if=\(Shell.quote(path)) iflag=skip_bytes,count_bytes skip=\(offset) count=\(length) bs=64K status=none"
            }
            let same = m.sh("cmp <(\(dd(mine))) <(\(dd(theirs)))")
            XCTAssertTrue(same.ok, "read at \(offset) length \(length): \(same.stdout)\(same.stderr)")
        }

        // The whole file, as cat reads it.
        let started = Date()
        let whole = m.sh("cat \(Shell.quote(mine)) | cmp - \(Shell.quote(theirs))")
        let seconds = Date().timeIntervalSince(started)
        XCTAssertTrue(whole.ok, "cat through files/ differs: \(whole.stdout)\(whole.stderr)\n\(m.log.suffix(2000))")
        XCTAssertLessThan(seconds, 60, "64 MiB took \(seconds) s")

        let peak = try XCTUnwrap(m.daemonPeakRSSKiB)
        XCTAssertLessThan(peak, 150 * 1024, "pkgfs peak RSS \(peak) KiB reading a 64 MiB payload file")

        // Sequential reads continued one cursor: the archive was opened a handful of times (once
        // per backwards jump above), not once per read, and little was decompressed in vain.
        var stats: (opens: Int, discarded: Int)?
        for _ in 0..<100 {
            stats = Self.lastClose(in: m.log, path: "opt/rich/big.bin")
            if stats != nil && m.log.components(separatedBy: "closed files/opt/rich/big.bin").count > 6 { break }
            usleep(50_000)
        }
        let s = try XCTUnwrap(stats, "no close logged:\n\(m.log.suffix(3000))")
        print("64 MiB through files/: \(String(format: "%.1f", seconds)) s, peak RSS \(peak / 1024) MiB, reader opens \(s.opens), discarded \(s.discarded / mib) MiB")
        XCTAssertLessThanOrEqual(s.opens, 8, "reader opens")
        XCTAssertLessThan(s.discarded, 4 * 64 * mib, "bytes decompressed and thrown away")

        // The first backward read decompressed the file once into the payload cache; every
        // later read of it, in any order, is a plain read of that copy (issue 4).
        let cached = m.sh("ls -l \(Shell.quote(m.store))/cache/payload/ | grep -c ' \(64 << 20) '")
        XCTAssertEqual(cached.trimmed, "1", "the 64 MiB file is in the payload cache: \(cached.stdout)")
        let pkg = m.sh("readlink -f \(Shell.quote(m.mountPoint))/incoming/\(file)").trimmed
        XCTAssertTrue(m.sh("rmdir \(Shell.quote(pkg))").ok, "delete the package")
        XCTAssertEqual(m.sh("ls \(Shell.quote(m.store))/cache/payload/ | wc -l").trimmed, "0", "its cached files go with it")
    }

    /// (opens, discarded) of the last `closed files/<path>` debug line.
    static func lastClose(in log: String, path: String) -> (opens: Int, discarded: Int)? {
        guard let line = log.split(separator: "\n").last(where: { $0.contains("closed files/\(path) ") }) else { return nil }
        func number(before word: String) -> Int? {
            guard let r = line.range(of: " \(word)") else { return nil }
            return Int(line[..<r.lowerBound].split(separator: " ").last ?? "")
        }
        guard let opens = number(before: "opens"), let discarded = number(before: "bytes discarded") else { return nil }
        return (opens, discarded)
    }

    /// Files read in another order than the archive's (`cat dir/*` of a tarball made in hash
    /// order) each decompressed the payload from its start: quadratic. After a few, the whole
    /// payload is decompressed once into the payload cache; every file still reads right.
    func testFilesReadOutOfArchiveOrderAreDecompressedOnce() throws {
        let m = try MountedStore.make(self)
        let made = m.sh("""
            python3 -c 'import io, random, tarfile
            random.seed(7); order = list(range(300)); random.shuffle(order)
            with tarfile.open("shuffled-1.0-1.el7.x86_64.tar.gz", "w:gz") as t:
                for i in order:
                    data = (b"line %05d\\n" % i) * (i + 1)
                    info = tarfile.TarInfo("pkg/d/f%05d" % i); info.size = len(data); t.addfile(info, io.BytesIO(data))'
            mkdir plain && tar xzf shuffled-1.0-1.el7.x86_64.tar.gz -C plain
            cp shuffled-1.0-1.el7.x86_64.tar.gz $M/incoming/
            """)
        XCTAssertTrue(made.ok, made.stderr)
        let files = "$M/incoming/shuffled-1.0-1.el7.x86_64.tar.gz/files/pkg/d"
        XCTAssertEqual(m.sh("cat \(files)/* | md5sum").stdout, m.sh("cat plain/pkg/d/* | md5sum").stdout)
        XCTAssertTrue(m.log.contains("read out of archive order: 300 of 300 files decompressed once into the payload cache"), m.log)
        XCTAssertEqual(m.sh("ls $S/cache/payload | wc -l").trimmed, "300")
    }
}
