import Foundation
import TestSupport
import XCTest

/// Reads of originals: with FUSE passthrough the kernel reads the blob itself and pkgfs reads
/// none of the bytes; with --no-passthrough (or where the kernel cannot) pkgfs serves them.
/// Either way every byte, by read(2) or by mmap, is the uploaded one.
final class PassthroughTests: XCTestCase {
    static let size = 8 << 20

    /// Linux 6.9 brought passthrough; registering a backing file needs root.
    private var kernelCanPassThrough: Bool {
        let release = Shell.run("uname -r").trimmed.split(separator: ".").compactMap { Int($0.prefix { $0.isNumber }) }
        guard release.count >= 2, getuid() == 0 else { return false }
        return release[0] > 6 || (release[0] == 6 && release[1] >= 9)
    }

    /// Bytes the daemon read with read(2)-like calls so far (/proc/<pid>/io rchar).
    private func bytesReadByDaemon(_ m: MountedStore) throws -> Int {
        let pid = try XCTUnwrap(m.daemonPID)
        let io = try String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8)
        let line = try XCTUnwrap(io.split(separator: "\n").first { $0.hasPrefix("rchar:") })
        return try XCTUnwrap(Int(line.split(separator: " ").last ?? ""))
    }

    /// Uploads a random original; returns (path through the mount, path of the source).
    private func upload(_ m: MountedStore) -> (String, String) {
        let source = TestPackages.randomFile("\(m.root)/pass-1.0-1.el9.x86_64.bin", size: Self.size)
        XCTAssertTrue(m.sh("cp \(source) $M/incoming/").ok, m.log)
        return ("\(m.mountPoint)/GENERIC_PACKAGE/el9/x86_64/1.0/pass-1.0-1.el9.x86_64/pass-1.0-1.el9.x86_64.bin", source)
    }

    /// read(2) and mmap both return the source's bytes, twice (cold, then from the page cache).
    private func assertReadsBack(_ m: MountedStore, _ path: String, _ source: String) {
        for _ in 0..<2 {
            XCTAssertTrue(m.sh("cmp \(Shell.quote(path)) \(Shell.quote(source))").ok, "read(2) gives other bytes\n\(m.log)")
            let mapped = m.sh("""
                python3 -c 'import mmap,sys,hashlib; f=open(sys.argv[1],"rb"); print(hashlib.sha256(mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ)).hexdigest())' \(Shell.quote(path))
                """)
            XCTAssertEqual(mapped.trimmed, m.sh("sha256sum \(Shell.quote(source)) | cut -d' ' -f1").trimmed, "mmap gives other bytes: \(mapped.stderr)")
        }
    }

    func testTheKernelReadsOriginalsFromTheirBlobs() throws {
        let m = try MountedStore.make(self)
        let (path, source) = upload(m)
        let before = try bytesReadByDaemon(m)
        assertReadsBack(m, path, source)
        let read = try bytesReadByDaemon(m) - before
        if kernelCanPassThrough {
            XCTAssertTrue(m.log.contains("FUSE passthrough"), m.log)
            XCTAssertLessThan(read, Self.size / 4, "pkgfs read the original's bytes itself")
        } else {
            XCTAssertTrue(m.log.contains("reads of originals go through pkgfs"), m.log)
            XCTAssertGreaterThanOrEqual(read, Self.size, "pkgfs serves the reads")
        }
    }

    func testWithoutPassthroughPkgfsServesTheReads() throws {
        let m = try MountedStore.make(self, extra: "--no-passthrough")
        let (path, source) = upload(m)
        let before = try bytesReadByDaemon(m)
        assertReadsBack(m, path, source)
        XCTAssertGreaterThanOrEqual(try bytesReadByDaemon(m) - before, Self.size, "pkgfs serves the reads")
        XCTAssertFalse(m.log.contains("FUSE passthrough"), m.log)
    }

    /// The kernel fails (EIO) an open whose backing file differs from the one the inode's other
    /// open files use: readers of one original at once (parallel build jobs fetching one
    /// package) must all share one. Before they did, about one read in five failed here.
    func testReadersOfOneOriginalAtOnceAllGetItsBytes() throws {
        let m = try MountedStore.make(self)
        let (path, source) = upload(m)
        let before = try bytesReadByDaemon(m)
        let readers = m.sh("""
            for k in 1 2 3 4; do
              (for i in $(seq 40); do cmp \(Shell.quote(path)) \(Shell.quote(source)) || echo "reader $k: read $i failed"; done) &
            done
            wait
            """)
        XCTAssertEqual(readers.stdout + readers.stderr, "", "every concurrent read gives the uploaded bytes\n\(m.log)")
        if kernelCanPassThrough {
            XCTAssertLessThan(try bytesReadByDaemon(m) - before, Self.size / 4, "the kernel still reads the blob itself")
        }
        assertReadsBack(m, path, source)
    }

    /// A backing file opened for reading stays that: the original refuses writes, and its bytes
    /// stay the uploaded ones.
    func testOriginalsStayReadOnly() throws {
        let m = try MountedStore.make(self)
        let (path, source) = upload(m)
        XCTAssertTrue(m.sh("cmp \(Shell.quote(path)) \(Shell.quote(source))").ok)
        XCTAssertFalse(m.sh("echo x >> \(Shell.quote(path))").ok, "an original cannot be appended to")
        XCTAssertFalse(m.sh("python3 -c 'import sys; open(sys.argv[1], \"r+b\")' \(Shell.quote(path))").ok,
                       "an original cannot be opened for writing")
        XCTAssertTrue(m.sh("cmp \(Shell.quote(path)) \(Shell.quote(source))").ok, "the bytes did not change")
        XCTAssertEqual(m.sh("cat $(dirname \(Shell.quote(path)))/state").stdout, "available\n")
    }
}
