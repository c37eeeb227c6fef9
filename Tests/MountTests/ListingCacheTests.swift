import Foundation
import TestSupport
import XCTest

/// The kernel's cached directory listings and readers that page through listings of their own.
final class ListingCacheTests: XCTestCase {
    /// Reader A fills the kernel's cached listing; reader B, which started while it was being
    /// filled, pages through a listing of its own. Once A has read to the end the cache is
    /// complete, and B's next position is not in it. With 254 names of up to eight bytes the
    /// cached names end exactly at a page boundary, and the kernel took that for the end of the
    /// directory: B saw 25 of 256 entries. Each round adds the 254th name (which also makes the
    /// kernel start its cache anew) and removes it again.
    func testAReaderOfItsOwnListingGetsEveryNameWhenAnotherCompletesTheCachedOne() throws {
        try readTwice(rounds: 3, pause: 0)
    }

    /// The same with reader B pausing longer than pkgfs once took a reader to be still reading
    /// (10 s): the cached listing's end is what matters, not how long ago B read.
    func testAReaderThatPausesGetsEveryNameWhenAnotherCompletesTheCachedOne() throws {
        try readTwice(rounds: 1, pause: 11)
    }

    /// Each round, A and B read their first pages, pause `pause` seconds, then A reads the rest
    /// of the directory and B the rest of its own listing.
    func readTwice(rounds: Int, pause: Int) throws {
        let m = try MountedStore.make(self)
        let setup = m.sh("""
            mkdir -p src && for i in $(seq 1 252); do
              echo $i > src/e$i-3.$i-1.el8.aarch64.bin && cp src/e$i-3.$i-1.el8.aarch64.bin "$M"/incoming/ || exit 1
            done
            ls "$M"/GENERIC_PACKAGE/el8/aarch64 | wc -l
            """)
        XCTAssertEqual(setup.trimmed, "253", "252 versions and latest: " + setup.stderr)
        let dir = "$M/GENERIC_PACKAGE/el8/aarch64"
        for round in 1...rounds {
            let name = "f\(round)-4.\(round)-1.el8.aarch64.bin"
            let result = m.sh("""
                echo \(round) > src/\(name) && cp src/\(name) "$M"/incoming/ || exit 1
                python3 - \(dir) \(pause) <<'PY'
                import ctypes, os, sys, time
                libc = ctypes.CDLL(None, use_errno=True)
                def getdents(fd):
                    buf = ctypes.create_string_buffer(4096)
                    n = libc.syscall(217, fd, buf, 4096)  # getdents64, a page at a time
                    if n < 0:
                        sys.exit(f"getdents64: {os.strerror(ctypes.get_errno())}")
                    names, off = [], 0
                    while off < n:
                        reclen = int.from_bytes(buf.raw[off + 16:off + 18], "little")
                        names.append(buf.raw[off + 19:off + reclen].split(b"\\0", 1)[0])
                        off += reclen
                    return names
                def rest(fd, names):
                    while batch := getdents(fd):
                        names += batch
                    return names
                a = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
                b = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
                first_a, first_b = getdents(a), getdents(b)
                time.sleep(int(sys.argv[2]))
                print(len(rest(a, first_a)), len(rest(b, first_b)))
                PY
                rm \(dir)/4.\(round)/\(name.dropLast(4))/\(name)
                """)
            XCTAssertTrue(result.ok, result.stderr)
            XCTAssertEqual(result.trimmed, "256 256", "round \(round): entries read by A and by B (254 names, . and ..)")
        }
    }
}
