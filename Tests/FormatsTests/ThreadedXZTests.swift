import XCTest
@testable import PkgfsFormats

/// Listing an xz-compressed tar decodes it with liblzma's multithreaded decoder
/// (`ThreadedXZSource`): the same listing as the uncompressed tar, and a precise error for
/// a damaged or cut stream, whether it has one block or many.
final class ThreadedXZTests: XCTestCase {
    var tmp: TempDir!

    override func setUpWithError() throws {
        try requireTools("tar", "xz")
        tmp = try TempDir()
        try sh("""
            set -e
            mkdir -p tree/usr/lib/deep/er tree/etc
            head -c 3000000 /dev/urandom > tree/usr/lib/big.bin
            printf 'conf\\n' > tree/etc/a.conf
            ln -s ../lib/big.bin tree/usr/lib/deep/link
            for i in $(seq 1 200); do printf "file $i\\n" > tree/usr/lib/deep/er/f$i; done
            tar cf plain.tar -C tree .
            xz -T2 --block-size=65536 -k -c plain.tar > blocks.tar.xz
            xz -T1 -k -c plain.tar > single.tar.xz
            """, cwd: tmp.path)
    }

    override func tearDown() { tmp = nil }

    func testManyBlocksAndOneBlockListLikeThePlainTar() throws {
        let plain = try listPayload(path: tmp.sub("plain.tar"), container: .tar)
        XCTAssertEqual(plain.filter { $0.kind == .file }.count, 202)
        XCTAssertTrue(try sh("xz -lv blocks.tar.xz", cwd: tmp.path).contains("Blocks:"))
        for name in ["blocks.tar.xz", "single.tar.xz"] {
            XCTAssertTrue(try FileRange(path: tmp.sub(name)).starts(with: ThreadedXZSource.magic), name)
            XCTAssertEqual(try listPayload(path: tmp.sub(name), container: .tar), plain, name)
        }
        XCTAssertFalse(try FileRange(path: tmp.sub("plain.tar")).starts(with: ThreadedXZSource.magic))
    }

    func testDamagedOrCutStreamsAreFormatErrors() throws {
        let whole = try readFile(tmp.sub("blocks.tar.xz"))
        var damaged = whole
        damaged[whole.count / 2] ^= 0x55
        try write(damaged, to: tmp.sub("damaged.tar.xz"))
        XCTAssertThrowsError(try listPayload(path: tmp.sub("damaged.tar.xz"), container: .tar)) { error in
            XCTAssertTrue("\(error)".contains("xz: compressed data is corrupt"), "\(error)")
        }
        for cut in [7, whole.count / 3, whole.count - 20] {
            try write(Array(whole.prefix(cut)), to: tmp.sub("cut.tar.xz"))
            XCTAssertThrowsError(try listPayload(path: tmp.sub("cut.tar.xz"), container: .tar), "cut at \(cut)") { error in
                XCTAssertTrue(error is FormatError, "\(error)")
            }
        }
    }
}
