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
        var offset = 0, i = 0
        bytes.withUnsafeBytes { all in
            while offset < all.count {
                let n = min(sizes[i % sizes.count], all.count - offset)
                digests.update(UnsafeRawBufferPointer(rebasing: all[offset..<offset + n]))
                offset += n
                i += 1
            }
        }
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
