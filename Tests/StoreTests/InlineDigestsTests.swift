import Crypto
import Foundation
import PkgfsFormats
@testable import PkgfsStore
import XCTest

/// The digests of an upload do not depend on how its bytes were cut into writes: small writes
/// are hashed on the writer's thread, larger ones on the two digest threads, in any mix.
final class InlineDigestsTests: XCTestCase {
    private func expected(_ bytes: [UInt8]) -> (String, String) {
        (Hex.string(Insecure.SHA1.hash(data: bytes)), Hex.string(SHA256.hash(data: bytes)))
    }

    private func digests(of bytes: [UInt8], cutAt sizes: [Int], maxPending: Int = 8) -> (String, String) {
        let digests = InlineDigests(maxPending: maxPending)
        feed(bytes, to: digests, cutAt: sizes)
        let result = digests.finalize()
        return (result.sha1, result.sha256)
    }

    func testEveryMixOfSmallAndLargeWritesGivesTheDigestsOfTheWhole() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(9 << 20) + 12_345).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let want = expected(bytes)
        let small = InlineDigests.inlineLimit, large = 1 << 20
        let patterns: [[Int]] = [
            [large],                          // queued only, more chunks than slots
            [small],                          // inline only
            [large, small, 1, small + 1],     // inline only when nothing is pending
            [4096, large, 4096, 4096, 3 * large],
        ]
        for pattern in patterns {
            XCTAssertTrue(digests(of: bytes, cutAt: pattern) == want, "writes of \(pattern)")
        }
        XCTAssertTrue(digests(of: bytes, cutAt: [large], maxPending: 1) == want, "one slot")
        let head = Array(bytes.prefix(5000))
        XCTAssertTrue(digests(of: head, cutAt: [1]) == expected(head), "a byte at a time")
    }

    func testEmptyStreamAndReset() {
        let empty = InlineDigests()
        let emptyResult = empty.finalize()
        XCTAssertTrue((emptyResult.sha1, emptyResult.sha256) == expected([]))

        let digests = InlineDigests()
        let junk = [UInt8](repeating: 7, count: 3 << 20)
        junk.withUnsafeBytes { digests.update($0) }
        digests.reset()
        let bytes = [UInt8](repeating: 9, count: 100)
        bytes.withUnsafeBytes { digests.update($0) }
        let result = digests.finalize()
        XCTAssertTrue((result.sha1, result.sha256) == expected(bytes), "reset forgets what was queued before it")
    }
}

/// An RPM's payload digest and MD5, computed while it streams in, whatever the writes.
final class InlineRangeDigestsTests: XCTestCase {
    /// A package built by rpmbuild, once: a 10 MiB incompressible file in a gzip payload.
    static let built: Result<[UInt8], Error> = Result {
        let top = NSTemporaryDirectory() + "pkgfs-inline-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: top) }
        let script = """
            set -e
            mkdir -p "$1/SPECS" && head -c 10485760 /dev/urandom > "$1/big.bin"
            printf '%s\\n' 'Name: inline' 'Version: 1' 'Release: 1' 'Summary: s' 'License: MIT' 'BuildArch: noarch' \\
              '%description' 'd' '%install' "mkdir -p %{buildroot}/opt && cp $1/big.bin %{buildroot}/opt/" \\
              '%files' '/opt/big.bin' > "$1/SPECS/inline.spec"
            rpmbuild -bb --quiet --define "_topdir $1" --define '_binary_payload w1.gzdio' "$1/SPECS/inline.spec"
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script, "build", top]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "rpmbuild", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "rpmbuild failed (is the rpm package installed? scripts/setup installs it)"])
        }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(top)/RPMS/noarch/inline-1-1.noarch.rpm")))
    }

    func testAnRPMStreamGetsItsRangeDigestsWhateverTheWrites() throws {
        let fx = (bytes: try Self.built.get(), reader: MemoryBytes(try Self.built.get()))
        let p = try RPMPackage(reader: fx.reader)
        let want = [
            RPMComputedDigest(RPMRangeDigest(kind: .payload, start: p.payloadOffset, algorithm: .sha256),
                              hex: Hex.string(SHA256.hash(data: fx.bytes[p.payloadOffset...]))),
            RPMComputedDigest(RPMRangeDigest(kind: .md5, start: p.headerOffset, algorithm: .md5),
                              hex: Hex.string(Insecure.MD5.hash(data: fx.bytes[p.headerOffset...]))),
        ]
        let large = 1 << 20, small = InlineDigests.inlineLimit
        // Byte by byte through the headers (a probe at every length), then a MiB, and again.
        let byteByByte = [Int](repeating: 1, count: p.payloadOffset + 10) + [large]
        for pattern in [[large], byteByByte, [7, small], [100, large, 3], [fx.bytes.count], [small + 1]] {
            let digests = InlineDigests(maxPending: 2)
            feed(fx.bytes, to: digests, cutAt: pattern)
            let result = digests.finalize()
            XCTAssertEqual(result.ranges, want, "writes of \(pattern.prefix(4))")
            XCTAssertEqual(result.sha256, Hex.string(SHA256.hash(data: fx.bytes)), "writes of \(pattern.prefix(4))")
            XCTAssertNoThrow(try p.verifyDigests(reader: fx.reader, computed: result.ranges))
        }
    }

    func testNoRangeDigestsWithoutCompleteRPMHeaders() throws {
        let fx = (bytes: try Self.built.get(), reader: MemoryBytes(try Self.built.get()))
        let p = try RPMPackage(reader: fx.reader)
        let cut = InlineDigests()
        feed(Array(fx.bytes.prefix(p.payloadOffset - 1)), to: cut, cutAt: [4096])
        XCTAssertEqual(cut.finalize().ranges, [], "headers not complete")

        let plain = InlineDigests()
        feed([UInt8](repeating: 1, count: 3 << 20), to: plain, cutAt: [1 << 20])
        XCTAssertEqual(plain.finalize().ranges, [], "not an RPM")

        let reset = InlineDigests()
        feed(fx.bytes, to: reset, cutAt: [1 << 20])
        reset.reset()
        feed([UInt8](repeating: 2, count: 1000), to: reset, cutAt: [1000])
        XCTAssertEqual(reset.finalize().ranges, [], "reset forgets the RPM")
    }
}

/// Writes `bytes` to `digests` in pieces of `sizes`, cycled.
private func feed(_ bytes: [UInt8], to digests: InlineDigests, cutAt sizes: [Int]) {
    var offset = 0, i = 0
    bytes.withUnsafeBytes { all in
        while offset < all.count {
            let n = min(sizes[i % sizes.count], all.count - offset)
            digests.update(UnsafeRawBufferPointer(rebasing: all[offset..<offset + n]))
            offset += n
            i += 1
        }
    }
}
