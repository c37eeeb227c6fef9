import Foundation
import XCTest
import PkgfsFormats

/// Damaged real packages: every damage is a precise FormatError, never a crash.
final class RPMCorruptionTests: XCTestCase {
    typealias Kit = RPMTestKit

    private func fixture() throws -> (Kit.Fixture, RPMPackage, RPMHeaders) {
        let fx = try Kit.fixtures().zstdNoarch
        return (fx, try fx.package(), try RPMHeaders(reader: fx.reader))
    }

    private func digestMismatch(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> String? {
        let r = MemoryBytes(bytes)
        guard let e = Kit.expectFormatError({ try Kit.parseAndVerify(r) }, "digest mismatch expected", file: file, line: line) else {
            return nil
        }
        guard case .digestMismatch(let what, let expected, let actual) = e else {
            XCTFail("expected digestMismatch, got \(e)", file: file, line: line)
            return nil
        }
        XCTAssertNotEqual(expected, actual, file: file, line: line)
        XCTAssertTrue(e.description.contains(what), file: file, line: line)
        return what
    }

    func testFlippedHeaderByteIsHeaderDigestMismatch() throws {
        let (fx, p, _) = try fixture()
        var b = fx.bytes
        // A byte inside the description text: the structure stays valid, the digest does not.
        let at = try XCTUnwrap(Kit.find(Array("Second line".utf8), in: b, from: p.headerOffset, to: p.payloadOffset))
        b[at] ^= 0x20
        XCTAssertNotNil(try? RPMPackage(reader: MemoryBytes(b)), "still parses")
        XCTAssertEqual(digestMismatch(b), "header SHA-256")
    }

    func testFlippedPayloadByteIsPayloadDigestMismatch() throws {
        let (fx, p, _) = try fixture()
        for at in [p.payloadOffset, (p.payloadOffset + fx.bytes.count) / 2, fx.bytes.count - 1] {
            var b = fx.bytes
            b[at] ^= 0x01
            XCTAssertEqual(digestMismatch(b), "payload SHA-256", "byte \(at)")
        }
    }

    func testWrongSignatureValuesNameTheDigest() throws {
        let (fx, p, h) = try fixture()
        // SHA-1 of the header: change one hex digit of the recorded value.
        var b = fx.bytes
        let sha1 = try XCTUnwrap(h.signature.entry(RPMSignatureTag.sha1))
        let sha1At = h.signature.offset + 16 + h.signature.entries.count * 16 + sha1.offset
        b[sha1At] = b[sha1At] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        XCTAssertEqual(digestMismatch(b), "header SHA-1")

        // MD5 of header + payload: change one byte of the 16-byte value.
        b = fx.bytes
        let md5 = try XCTUnwrap(h.signature.entry(RPMSignatureTag.md5))
        b[h.signature.offset + 16 + h.signature.entries.count * 16 + md5.offset] ^= 0xFF
        XCTAssertEqual(digestMismatch(b), "header+payload MD5")

        // The payload digest recorded in the header is covered by the header digest first.
        b = fx.bytes
        let digest = Array(try XCTUnwrap(p.payloadDigests.first).utf8)
        let at = try XCTUnwrap(Kit.find(digest, in: b, from: p.headerOffset, to: p.payloadOffset))
        b[at] = b[at] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        XCTAssertEqual(digestMismatch(b), "header SHA-256")
    }

    func testTruncationAnywhereIsAFormatError() throws {
        let (fx, p, _) = try fixture()
        let base = fx.reader
        // Every byte through the lead, both headers and the payload's start, then every KiB.
        var cuts = Array(0..<min(fx.bytes.count, p.payloadOffset + 64))
        cuts += stride(from: p.payloadOffset + 64, to: fx.bytes.count, by: 1024)
        cuts.append(fx.bytes.count - 1)
        var kinds: [String: Int] = [:]
        for cut in cuts {
            let r = Kit.Prefix(base: base, count: cut)
            guard let e = Kit.expectFormatError({ try Kit.parseAndVerify(r) }, "cut at \(cut)") else { continue }
            switch e {
            case .truncated: kinds["truncated", default: 0] += 1
            case .badMagic: kinds["badMagic", default: 0] += 1
            default: XCTFail("cut at \(cut): \(e)")
            }
        }
        XCTAssertGreaterThan(kinds["truncated", default: 0], 1000)
    }

    func testTrailingBytesAfterThePayloadAreRejected() throws {
        let (fx, p, _) = try fixture()
        let r = MemoryBytes(fx.bytes + [0, 1, 2])
        XCTAssertNoThrow(try RPMPackage(reader: r))
        let e = Kit.expectFormatError({ try p.verifyDigests(reader: r) }, "trailing bytes")
        guard case .invalid(_, let reason)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(reason.contains("3 bytes follow the payload"), reason)
    }

    func testWrongMagic() throws {
        let (fx, p, _) = try fixture()
        var b = fx.bytes
        b[0] = 0x7F
        XCTAssertEqual(Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "lead"),
                       .badMagic(format: "RPM", found: "7fabeedb"))

        b = fx.bytes
        b[RPMLead.size] = 0
        XCTAssertEqual(Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "signature header"),
                       .badMagic(format: "RPM signature header", found: "00ade80100000000"))

        b = fx.bytes
        b[p.headerOffset + 3] = 0x02
        XCTAssertEqual(Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "main header"),
                       .badMagic(format: "RPM header", found: "8eade80200000000"))

        let text = Array("This is not an RPM package, just some text that is long enough. ".utf8) + [UInt8](repeating: 0x41, count: 100)
        guard case .badMagic? = Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(text)) }, "text") else {
            return XCTFail("text should be bad magic")
        }
        XCTAssertEqual(Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes([])) }, "empty"),
                       .truncated(needed: 96, available: 0))
        guard case .badMagic? = Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes([1, 2])) }, "two bytes") else {
            return XCTFail("two bytes should be bad magic")
        }
    }

    func testLeadFields() throws {
        let (fx, _, _) = try fixture()
        var b = fx.bytes
        b[4] = 2  // major version 2
        guard case .invalid(_, let r1)? = Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "v2") else {
            return XCTFail()
        }
        XCTAssertTrue(r1.contains("version 2"), r1)
        b = fx.bytes
        b[79] = 1  // signature type 1
        guard case .invalid(_, let r2)? = Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "sigtype") else {
            return XCTFail()
        }
        XCTAssertTrue(r2.contains("signature type 1"), r2)
    }

    func testIndexCountsAndSizesPointingOutsideTheFile() throws {
        let (fx, p, _) = try fixture()
        let il = p.headerOffset + 8, dl = p.headerOffset + 12

        // At rpm's limit, but far more entries than the (small) file holds.
        let small = try Kit.fixtures().noFiles
        let sp = try small.package()
        var b = small.bytes
        Kit.putBE32(&b, sp.headerOffset + 8, 0xFFFF)
        XCTAssertEqual(Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "il 0xffff"),
                       .truncated(needed: sp.headerOffset + 16 + 0xFFFF * 16 + Int(Kit.be32(small.bytes, sp.headerOffset + 12)),
                                  available: small.bytes.count))
        // In a large file the same index swallows the store: the region check catches it.
        b = fx.bytes
        Kit.putBE32(&b, il, 0xFFFF)
        guard case .invalid? = Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "il 0xffff, big file") else {
            return XCTFail("expected invalid")
        }

        b = fx.bytes
        Kit.putBE32(&b, il, 0x1_0000)
        XCTAssertEqual(Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "il 0x10000"),
                       .limitExceeded(what: "RPM header index entry count 65536", limit: 0xFFFF))

        b = fx.bytes
        Kit.putBE32(&b, dl, 0xFFFF_FFFF)
        guard case .limitExceeded? = Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "dl") else {
            return XCTFail("dl 0xffffffff should exceed the limit")
        }

        b = fx.bytes
        Kit.putBE32(&b, dl, 0x0F00_0000)  // under the limit, beyond the file
        guard case .truncated? = Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "dl big") else {
            return XCTFail("a store beyond the file should be truncated")
        }

        b = fx.bytes
        Kit.putBE32(&b, RPMLead.size + 8, 33)  // signature header: more than rpm's 32 tags
        XCTAssertEqual(Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "sig il"),
                       .limitExceeded(what: "RPM signature header index entry count 33", limit: 32))

        b = fx.bytes
        Kit.putBE32(&b, RPMLead.size + 8, 0)
        guard case .invalid? = Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "sig il 0") else {
            return XCTFail("no entries should be invalid")
        }

        // Signature SIZE larger than the file: truncated at parse time.
        b = fx.bytes
        let h = try RPMHeaders(reader: fx.reader)
        let sizeEntry = try XCTUnwrap(h.signature.entry(RPMSignatureTag.size))
        let sizeAt = h.signature.offset + 16 + h.signature.entries.count * 16 + sizeEntry.offset
        Kit.putBE32(&b, sizeAt, Kit.be32(b, sizeAt) + 10)
        XCTAssertEqual(Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, "SIZE"),
                       .truncated(needed: fx.bytes.count + 10, available: fx.bytes.count))
    }

    func testEntryFieldsOutOfRange() throws {
        let (fx, _, h) = try fixture()
        let main = h.header
        let dl = main.byteCount - 16 - main.entries.count * 16
        func entryField(_ tag: UInt32, _ field: Int) throws -> Int {
            let i = try XCTUnwrap(main.entries.firstIndex { $0.tag == tag })
            return main.offset + 16 + i * 16 + field * 4
        }
        func invalid(_ b: [UInt8], _ expect: String, line: UInt = #line) {
            let e = Kit.expectFormatError({ try RPMPackage(reader: MemoryBytes(b)) }, expect, line: line)
            guard case .invalid(let format, let reason)? = e else {
                return XCTFail("expected invalid, got \(String(describing: e))", line: line)
            }
            XCTAssertEqual(format, "RPM", line: line)
            XCTAssertTrue(reason.contains(expect), "\(reason) should contain \(expect)", line: line)
        }

        let sizesOffset = try entryField(RPMTag.fileSizes, 2), sizesCount = try entryField(RPMTag.fileSizes, 3)
        let nameTag = try entryField(RPMTag.name, 0), nameType = try entryField(RPMTag.name, 1)
        let nameCount = try entryField(RPMTag.name, 3), versionTag = try entryField(RPMTag.version, 0)

        var b = fx.bytes
        Kit.putBE32(&b, sizesOffset, UInt32(dl + 100))
        invalid(b, "outside the")

        b = fx.bytes
        Kit.putBE32(&b, sizesCount, 0x7FFF_0000)
        invalid(b, "item count")

        b = fx.bytes
        Kit.putBE32(&b, sizesCount, UInt32(dl / 2))  // ≤ dl items, but 2 × dl bytes
        invalid(b, "run past")

        b = fx.bytes
        Kit.putBE32(&b, nameType, 42)
        invalid(b, "unknown data type 42")

        b = fx.bytes
        Kit.putBE32(&b, sizesOffset, Kit.be32(b, sizesOffset) + 1)
        invalid(b, "not aligned")

        b = fx.bytes
        Kit.putBE32(&b, nameCount, 2)
        invalid(b, "STRING with count 2")

        b = fx.bytes
        Kit.putBE32(&b, nameTag, 99)
        invalid(b, "below 100")

        b = fx.bytes
        Kit.putBE32(&b, versionTag, RPMTag.name)
        invalid(b, "more than once")

        // Region trailer that does not name the region.
        b = fx.bytes
        b[main.offset + 16 + main.entries.count * 16 + (dl - 16) + 3] ^= 0x01
        invalid(b, "region trailer")

        // Last string array running into the region trailer / end of store.
        b = fx.bytes
        let baseNames = try entryField(RPMTag.baseNames, 3)
        Kit.putBE32(&b, baseNames, Kit.be32(b, baseNames) + 1_000)
        invalid(b, "BASENAMES")
    }

    /// Random damage to the lead and headers: the parser and the digest check only ever throw
    /// FormatError (and damage the digests cover never passes the check).
    func testRandomHeaderDamageNeverCrashes() throws {
        let fixtures = try Kit.fixtures()
        var rng = SplitMix(seed: 0x5EED_0F_9A7B)
        var outcomes: [String: Int] = [:]
        for (fx, rounds) in [(fixtures.zstdNoarch, 1500), (fixtures.noFiles, 1500)] {
            let p = try fx.package()
            let original = Array(fx.bytes[0..<p.payloadOffset])
            for round in 0..<rounds {
                var head = original
                let flips = 1 + Int(rng.next() % 4)
                for _ in 0..<flips {
                    let at = Int(rng.next() % UInt64(head.count))
                    switch rng.next() % 3 {
                    case 0: head[at] ^= UInt8(1 << (rng.next() % 8))
                    case 1: head[at] = UInt8(truncatingIfNeeded: rng.next())
                    default: head[at] = [0x00, 0xFF, 0x7F, 0x80][Int(rng.next() % 4)]
                    }
                }
                if head == original { continue }
                let r = Kit.Spliced(head: head, base: fx.reader)
                do {
                    let (_, results) = try Kit.parseAndVerify(r)
                    // Only bytes no digest covers (lead, signature header) may change silently.
                    outcomes["ok", default: 0] += 1
                    XCTAssertFalse(results.isEmpty)
                    XCTAssertEqual(Array(head[p.headerOffset...]), Array(original[p.headerOffset...]),
                                   "\(fx.label) round \(round): main header damage passed the digest check")
                } catch let e as FormatError {
                    switch e {
                    case .truncated: outcomes["truncated", default: 0] += 1
                    case .badMagic: outcomes["badMagic", default: 0] += 1
                    case .invalid: outcomes["invalid", default: 0] += 1
                    case .digestMismatch: outcomes["digestMismatch", default: 0] += 1
                    case .limitExceeded: outcomes["limitExceeded", default: 0] += 1
                    case .io: XCTFail("\(fx.label) round \(round): io error from memory")
                    }
                } catch {
                    XCTFail("\(fx.label) round \(round): non-FormatError \(error)")
                }
            }
        }
        XCTAssertGreaterThan(outcomes["digestMismatch", default: 0], 100, "\(outcomes)")
        XCTAssertGreaterThan(outcomes["invalid", default: 0], 10, "\(outcomes)")
    }
}

/// Deterministic 64-bit generator for the damage test.
extension RPMCorruptionTests {
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
