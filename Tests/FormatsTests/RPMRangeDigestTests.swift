import Crypto
import XCTest
@testable import PkgfsFormats

/// Range digests (payload digest, MD5) computed while an RPM streams in, and their use by
/// `verifyDigests`.
final class RPMRangeDigestTests: XCTestCase {
    typealias Kit = RPMTestKit

    /// Every prefix length around the section boundaries: the probe asks for exactly the bytes
    /// that tell more, and knows the offsets the full parse finds once the headers are there.
    func testProbeFindsTheSectionsFromTheFirstBytes() throws {
        for fx in try Kit.fixtures().all {
            let p = try fx.package()
            let lengths = Set([0, 1, 95, 111, 112, p.headerOffset - 1, p.headerOffset, p.headerOffset + 15,
                               p.headerOffset + 16, p.payloadOffset - 1, p.payloadOffset, p.payloadOffset + 1])
            for n in lengths.sorted() {
                let probe = fx.bytes.prefix(n).withUnsafeBytes { RPMLayoutProbe(prefix: $0) }
                switch probe {
                case .needs(let count):
                    XCTAssertGreaterThan(count, n, "\(fx.label) at \(n)")
                    XCTAssertLessThanOrEqual(count, p.payloadOffset, "\(fx.label) at \(n)")
                case .known(let header, let payload):
                    XCTAssertGreaterThanOrEqual(n, p.payloadOffset, fx.label)
                    XCTAssertEqual(header, p.headerOffset, fx.label)
                    XCTAssertEqual(payload, p.payloadOffset, fx.label)
                case .notRPM:
                    XCTFail("\(fx.label) at \(n): not an RPM?")
                }
            }
        }
        let notRPM = [UInt8](repeating: 0x41, count: 200)
        XCTAssertEqual(notRPM.withUnsafeBytes { RPMLayoutProbe(prefix: $0) }, .notRPM)
        var badIntro = try Kit.fixtures().gzipX86.bytes
        badIntro[RPMLead.size] ^= 0xFF
        XCTAssertEqual(badIntro.withUnsafeBytes { RPMLayoutProbe(prefix: $0) }, .notRPM)
    }

    /// Computed digests stand for the ranges they cover: the payload is not read, a wrong one
    /// is a mismatch like a damaged payload, and one for another range or algorithm is ignored.
    func testComputedDigestsAreComparedInsteadOfReadingThePayload() throws {
        let fx = try Kit.fixtures().gzipX86
        let p = try fx.package()
        let headers = try RPMHeaders(reader: fx.reader)
        let ranges = try headers.rangeDigests()
        XCTAssertEqual(ranges, [RPMRangeDigest(kind: .payload, start: p.payloadOffset, algorithm: .sha256),
                                RPMRangeDigest(kind: .md5, start: p.headerOffset, algorithm: .md5)])
        let payloadHex = Hex.string(SHA256.hash(data: fx.bytes[p.payloadOffset...]))
        let md5Hex = Hex.string(Insecure.MD5.hash(data: fx.bytes[p.headerOffset...]))
        let right = [RPMComputedDigest(ranges[0], hex: payloadHex), RPMComputedDigest(ranges[1], hex: md5Hex)]

        let reader = Kit.RecordingReader(base: fx.reader)
        let results = try p.verifyDigests(reader: reader, computed: right)
        XCTAssertEqual(results.filter(\.verified).map(\.kind), [.headerSHA256, .headerSHA1, .payload, .md5])
        XCTAssertEqual(reader.total, p.payloadOffset - p.headerOffset, "only the main header is read")

        let wrong = [RPMComputedDigest(ranges[0], hex: String(repeating: "0", count: 64)), right[1]]
        XCTAssertThrowsError(try p.verifyDigests(reader: fx.reader, computed: wrong)) { error in
            guard case FormatError.digestMismatch(let what, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(what, "payload SHA-256")
        }
        let elsewhere = [RPMComputedDigest(RPMRangeDigest(kind: .payload, start: p.payloadOffset + 1, algorithm: .sha256),
                                           hex: String(repeating: "0", count: 64))]
        let reread = Kit.RecordingReader(base: fx.reader)
        XCTAssertEqual(try p.verifyDigests(reader: reread, computed: elsewhere).filter(\.verified).count, 4)
        XCTAssertEqual(reread.total, 2 * (fx.bytes.count - p.headerOffset),
                       "a digest of another range is not used: header, payload and MD5 passes read")
    }
}
