import Foundation
import XCTest
import PkgfsFormats
import PkgfsModel

/// Parses packages built by rpmbuild and compares every field to `rpm -qp --queryformat`.
final class RPMPackageTests: XCTestCase {
    typealias Kit = RPMTestKit

    private func none(_ s: String) -> String? { s == "(none)" ? nil : s }

    /// The catalog stores format details with CompactJSONEncoder: every field must read back.
    func testCompactJSONReadsBackAsTheSamePackage() throws {
        for fx in try Kit.fixtures().all {
            let p = try fx.package()
            let text = try CompactJSONEncoder.encode(p)
            XCTAssertEqual(try JSONDecoder().decode(RPMPackage.self, from: Data(text.utf8)), p, fx.label)
            let foundation = String(decoding: try JSONEncoder().encode(p), as: UTF8.self)
            XCTAssertEqual(JSONValue.parse(text).map { String(decoding: $0.prettyPrinted(), as: UTF8.self) },
                           JSONValue.parse(foundation).map { String(decoding: $0.prettyPrinted(), as: UTF8.self) }, fx.label)
        }
    }

    func testScalarFieldsMatchRpmQuery() throws {
        for fx in try Kit.fixtures().all {
            let p = try fx.package()
            let values = try XCTUnwrap(fx.rpm["scalars"]).components(separatedBy: Kit.separator)
            XCTAssertEqual(values.count, Kit.scalarTags.count, fx.label)
            let q = Dictionary(uniqueKeysWithValues: zip(Kit.scalarTags, values))
            func rpm(_ tag: String) -> String? { none(q[tag] ?? "(missing)") }
            let m = fx.label
            XCTAssertEqual(p.name, rpm("NAME"), m)
            XCTAssertEqual(p.epoch.map(String.init), rpm("EPOCH"), m)
            XCTAssertEqual(p.version, rpm("VERSION"), m)
            XCTAssertEqual(p.release, rpm("RELEASE"), m)
            XCTAssertEqual(p.arch, rpm("ARCH"), m)
            XCTAssertEqual(p.os, rpm("OS"), m)
            XCTAssertEqual(p.summary, rpm("SUMMARY"), m)
            XCTAssertEqual(p.description, rpm("DESCRIPTION"), m)
            XCTAssertEqual(p.license, rpm("LICENSE"), m)
            XCTAssertEqual(p.vendor, rpm("VENDOR"), m)
            XCTAssertEqual(p.url, rpm("URL"), m)
            XCTAssertEqual(p.group, rpm("GROUP"), m)
            XCTAssertEqual(p.buildHost, rpm("BUILDHOST"), m)
            XCTAssertEqual(p.buildTime.map(String.init), rpm("BUILDTIME"), m)
            XCTAssertEqual(p.sourceRPM, rpm("SOURCERPM"), m)
            XCTAssertEqual(p.packager, rpm("PACKAGER"), m)
            XCTAssertEqual(p.distribution, rpm("DISTRIBUTION"), m)
            XCTAssertEqual(p.bugURL, rpm("BUGURL"), m)
            XCTAssertEqual(p.size.map(String.init), rpm("LONGSIZE"), m)
            XCTAssertEqual(p.payloadFormat, rpm("PAYLOADFORMAT"), m)
            XCTAssertEqual(p.payloadCompressor, rpm("PAYLOADCOMPRESSOR"), m)
            XCTAssertEqual(p.payloadFlags, rpm("PAYLOADFLAGS"), m)
            XCTAssertEqual(p.payloadDigestAlgorithm.map { String($0.rawValue) }, rpm("PAYLOADDIGESTALGO"), m)
            // Without FILEDIGESTALGO rpm means MD5.
            XCTAssertEqual(String(p.fileDigestAlgorithm.rawValue), rpm("FILEDIGESTALGO") ?? "1", m)
            XCTAssertEqual(p.signature.headerSHA1, rpm("SHA1HEADER"), m)
            XCTAssertEqual(p.signature.headerSHA256, rpm("SHA256HEADER"), m)
            XCTAssertEqual(p.signature.md5, rpm("SIGMD5"), m)
            XCTAssertEqual(p.signature.size.map(String.init), rpm("LONGSIGSIZE"), m)
            XCTAssertEqual(p.signature.payloadSize.map(String.init), rpm("LONGARCHIVESIZE"), m)
            // rpmbuild writes name-[epoch:]version-release into the lead.
            XCTAssertEqual(p.lead.name, fx.rpm["nevr"], m)
        }
    }

    func testDependenciesMatchRpmQuery() throws {
        for fx in try Kit.fixtures().all {
            let p = try fx.package()
            let ours: [String: [RPMDependency]] = [
                "requires": p.requires, "provides": p.provides, "conflicts": p.conflicts,
                "obsoletes": p.obsoletes, "recommends": p.recommends, "suggests": p.suggests,
                "supplements": p.supplements, "enhances": p.enhances,
            ]
            for (key, _) in Kit.dependencyKinds {
                let expected = try XCTUnwrap(fx.rpm[key]).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
                let actual = (ours[key] ?? []).map {
                    "\($0.name)\t\($0.flags)\t\($0.comparison)\t\($0.types.joined(separator: ","))\t\($0.version)"
                }
                XCTAssertEqual(actual, expected, "\(fx.label) \(key)")
            }
        }
    }

    func testFileListMatchesRpmQuery() throws {
        for fx in try Kit.fixtures().all {
            let p = try fx.package()
            let expected = try XCTUnwrap(fx.rpm["files"]).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            let actual = p.files.map { (f: RPMFileEntry) -> String in
                var fields: [String] = [f.path, String(f.size), String(f.mode), String(f.mtime)]
                fields.append(f.linkTarget ?? "")
                fields.append(f.digest ?? "")
                fields.append(f.user ?? "")
                fields.append(f.group ?? "")
                fields.append(String(f.flags))
                fields.append(f.flagLetters)
                fields.append(f.rdev.map { String($0) } ?? "")
                fields.append(f.inode.map { String($0) } ?? "")
                fields.append(f.device.map { String($0) } ?? "")
                return fields.joined(separator: "\t")
            }
            XCTAssertEqual(actual, expected, fx.label)
        }
    }

    func testPayloadDigestsAndOffsetMatchRpm() throws {
        for fx in try Kit.fixtures().all {
            let p = try fx.package()
            let digests = try XCTUnwrap(fx.rpm["payloaddigest"]).split(separator: "\n").map(String.init)
            let alt = try XCTUnwrap(fx.rpm["payloaddigestalt"]).split(separator: "\n").map(String.init)
            XCTAssertEqual(p.payloadDigests, digests, fx.label)
            XCTAssertEqual(p.payloadDigestsAlt, alt, fx.label)
            XCTAssertFalse(p.payloadDigests.isEmpty, "\(fx.label): rpmbuild 4.14+ always writes PAYLOADDIGEST")
            // The payload starts right after the main header with the compressor's magic.
            XCTAssertEqual(p.payloadOffset, p.headerOffset + p.headerSize, fx.label)
            XCTAssertEqual(p.headerOffset % 8, 0, fx.label)
            XCTAssertEqual(Array(fx.bytes[p.payloadOffset..<(p.payloadOffset + fx.payloadMagic.count)]), fx.payloadMagic, fx.label)
            // SIZE covers header + payload exactly.
            XCTAssertEqual(p.signature.size.map { p.headerOffset + $0 }, fx.bytes.count, fx.label)
        }
    }

    func testDigestsVerifyLikeRpmK() throws {
        for fx in try Kit.fixtures().all {
            for line in ["Header SHA256 digest: OK", "Header SHA1 digest: OK", "Payload SHA256 digest: OK", "MD5 digest: OK"] {
                XCTAssertTrue(fx.rpmCheck.contains(line), "\(fx.label): rpm -Kv says \(fx.rpmCheck)")
            }
            let p = try fx.package()
            let results = try p.verifyDigests(reader: fx.reader)
            let verified = results.filter(\.verified).map(\.kind)
            XCTAssertEqual(verified, [.headerSHA256, .headerSHA1, .payload, .md5], fx.label)
            XCTAssertEqual(results.first { $0.kind == .payload }?.what, "payload SHA-256", fx.label)
            XCTAssertEqual(results.first { $0.kind == .headerSHA256 }?.expected, p.signature.headerSHA256, fx.label)
            if !p.payloadDigestsAlt.isEmpty {
                let alt = try XCTUnwrap(results.first { $0.kind == .payloadAlt }, fx.label)
                XCTAssertFalse(alt.verified)
                XCTAssertNotNil(alt.note)
            }
        }
    }

    /// The MD5 pass beside the payload digest's (as for packages of 4 MiB and more) finds what
    /// the sequential passes find: every digest verified, and a damaged payload refused.
    func testDigestsCheckedInParallelPassesGiveTheSameAnswers() throws {
        for fx in try Kit.fixtures().all {
            let p = try fx.package()
            let sequential = try p.verifyDigests(reader: fx.reader, parallelFrom: .max)
            let parallel = try p.verifyDigests(reader: Kit.RecordingReader(base: fx.reader), parallelFrom: 0)
            XCTAssertEqual(parallel.map(\.kind), sequential.map(\.kind), fx.label)
            XCTAssertEqual(parallel.map(\.verified), sequential.map(\.verified), fx.label)
            XCTAssertEqual(parallel.filter(\.verified).map(\.kind), [.headerSHA256, .headerSHA1, .payload, .md5], fx.label)

            var damaged = fx.bytes
            damaged[damaged.count - 1] ^= 0xFF
            XCTAssertThrowsError(try p.verifyDigests(reader: MemoryBytes(damaged), parallelFrom: 0), fx.label) { error in
                guard case FormatError.digestMismatch(let what, _, _) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(what.hasPrefix("payload"), "the payload digest is reported first: \(what)")
            }
        }
    }

    /// The payload is hashed in chunks of at most 1 MiB, never read whole. Header and payload
    /// are read twice: the header digests' and payload digest's passes, and the MD5's beside them.
    func testPayloadIsStreamedInChunks() throws {
        let fx = try Kit.fixtures().zstdNoarch
        let p = try fx.package()
        XCTAssertGreaterThan(fx.bytes.count - p.payloadOffset, 2 * RPMPackage.digestChunkSize,
                             "the fixture's payload should span several chunks")
        let reader = Kit.RecordingReader(base: fx.reader)
        _ = try p.verifyDigests(reader: reader)
        XCTAssertLessThanOrEqual(reader.maxRead, RPMPackage.digestChunkSize)
        XCTAssertEqual(reader.total, 2 * (fx.bytes.count - p.headerOffset))
    }

    func testKnownValuesOfTheFullSpec() throws {
        let fx = try Kit.fixtures()
        let p = try fx.zstdNoarch.package()
        XCTAssertEqual(p.name, "pkgfs-demo")
        XCTAssertEqual(p.epoch, 3)
        XCTAssertEqual(p.version, "1.0~rc1")
        XCTAssertEqual(p.release, "20210812221645.alios7")
        XCTAssertEqual(p.arch, "noarch")
        XCTAssertEqual(p.nevra, "pkgfs-demo-3:1.0~rc1-20210812221645.alios7.noarch")
        XCTAssertEqual(p.summary, "A demo package for pkgfs tests")
        XCTAssertEqual(p.description, "A demo package.\nSecond line of the description.")
        XCTAssertEqual(p.payloadCompressor, "zstd")
        XCTAssertEqual(p.payloadFlags, "19")
        XCTAssertEqual(p.fileDigestAlgorithm, .sha256)
        XCTAssertEqual(p.payloadDigestAlgorithm, .sha256)
        XCTAssertFalse(p.isSource)
        XCTAssertFalse(p.lead.isSource)

        XCTAssertTrue(p.requires.contains(RPMDependency(name: "bash", flags: RPMSense.greater | RPMSense.equal, version: "4.0")))
        let pre = try XCTUnwrap(p.requires.first { $0.name == "coreutils" })
        XCTAssertTrue(pre.isPre)
        XCTAssertEqual(pre.types, ["pre"])
        XCTAssertTrue(p.requires.contains { $0.isRpmlib && $0.name == "rpmlib(PayloadIsZstd)" })
        XCTAssertEqual(p.requires.first { $0.name == "libfoo(x86-64)" }?.text, "libfoo(x86-64) < 2:3.0-1")
        XCTAssertEqual(p.recommends.map(\.text), ["recpkg > 1.1"])
        XCTAssertEqual(p.suggests.map(\.text), ["sugpkg"])
        XCTAssertEqual(p.supplements.map(\.text), ["suppkg = 2.0"])
        XCTAssertEqual(p.enhances.map(\.text), ["enhpkg >= 0.1"])
        XCTAssertEqual(p.obsoletes.map(\.text), ["oldpkg < 1.0"])
        XCTAssertEqual(Set(p.conflicts.map(\.text)), ["otherpkg <= 0.9", "badpkg > 5"])

        let byPath = Dictionary(uniqueKeysWithValues: p.files.map { ($0.path, $0) })
        let link = try XCTUnwrap(byPath["/usr/share/demo/link"])
        XCTAssertTrue(link.isSymlink)
        XCTAssertEqual(link.linkTarget, "../../bin/demo")
        XCTAssertNil(link.digest)
        let conf = try XCTUnwrap(byPath["/etc/demo/demo.conf"])
        XCTAssertTrue(conf.isConfig)
        XCTAssertEqual(conf.attributes, ["config", "noreplace"])
        XCTAssertEqual(byPath["/etc/demo/plain.conf"]?.attributes, ["config"])
        XCTAssertEqual(byPath["/usr/share/demo/empty"]?.attributes, ["doc"])
        XCTAssertTrue(try XCTUnwrap(byPath["/var/log/demo.log"]).isGhost)
        XCTAssertTrue(try XCTUnwrap(byPath["/etc/demo"]).isDirectory)
        let big = try XCTUnwrap(byPath["/usr/share/demo/big.bin"])
        XCTAssertEqual(big.size, Kit.bigFileSize)
        XCTAssertEqual(big.digest?.count, 64)
        XCTAssertTrue(big.isRegularFile)
        XCTAssertNotNil(byPath["/usr/share/demo/with space.txt"])
        let owned = try XCTUnwrap(byPath["/usr/share/demo/owned"])
        XCTAssertEqual(owned.user, "bin")
        XCTAssertEqual(owned.group, "daemon")
        XCTAssertEqual(owned.permissions, 0o640)
        XCTAssertEqual(byPath["/dev/demo-null"]?.rdev, 1 << 8 | 3)
        let a = try XCTUnwrap(byPath["/usr/bin/demo"]), b = try XCTUnwrap(byPath["/usr/bin/demo-hardlink"])
        XCTAssertEqual(a.inode, b.inode, "hard links share an inode")
        XCTAssertNotEqual(a.inode, big.inode)

        XCTAssertEqual(try fx.xzAarch64.package().arch, "aarch64")
        XCTAssertEqual(try fx.xzAarch64.package().payloadCompressor, "xz")
        XCTAssertEqual(try fx.gzipX86.package().arch, "x86_64")
        XCTAssertEqual(try fx.gzipX86.package().payloadCompressor, "gzip")

        let nofiles = try fx.noFiles.package()
        XCTAssertEqual(nofiles.files, [])
        XCTAssertNil(nofiles.epoch)
        XCTAssertEqual(nofiles.version, "2.0^post1")
        XCTAssertEqual(nofiles.requires.first { $0.name == "qual-a" }?.types, ["pre", "post", "preun", "postun"])
    }

    func testSourcePackage() throws {
        let fx = try Kit.fixtures().source
        let p = try fx.package()
        XCTAssertTrue(p.isSource)
        XCTAssertTrue(p.lead.isSource)
        XCTAssertNil(p.sourceRPM)
        XCTAssertTrue(p.files.contains { $0.path == "noarch.spec" || $0.path == "arch.spec" },
                      "a source package lists its spec: \(p.files.map(\.path))")
        XCTAssertTrue(p.files.contains { $0.path == "big.bin" })
    }

    func testParsesFromAFileOnDisk() throws {
        let fx = try Kit.fixtures().xzAarch64
        let path = NSTemporaryDirectory() + "pkgfs-rpmtest-\(UUID().uuidString).rpm"
        try Data(fx.bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try RPMPackage(path: path)
        XCTAssertEqual(fromFile, try fx.package())
        let results = try fromFile.verifyDigests(reader: FileBytes(path: path))
        XCTAssertEqual(results.filter(\.verified).count, 4)
    }

    func testRawHeaderAccess() throws {
        let fx = try Kit.fixtures().zstdNoarch
        let h = try RPMHeaders(reader: fx.reader)
        XCTAssertEqual(h.signature.regionTag, RPMSignatureTag.headerSignatures)
        XCTAssertEqual(h.header.regionTag, RPMTag.headerImmutable)
        XCTAssertEqual(h.header.value(RPMTag.name), .string("pkgfs-demo"))
        XCTAssertEqual(h.header.value(RPMTag.epoch), .int32([3]))
        if case .i18nString(let a)? = h.header.value(RPMTag.summary) {
            XCTAssertEqual(a.first, "A demo package for pkgfs tests")
        } else {
            XCTFail("SUMMARY should be an I18NSTRING")
        }
        XCTAssertEqual(h.header.entry(RPMTag.fileModes)?.type, .int16)
        XCTAssertEqual(h.payloadOffset, try fx.package().payloadOffset)
        XCTAssertEqual(h.signature.offset, RPMLead.size)
    }

    func testCodableKeysAreStableCamelCase() throws {
        let p = try Kit.fixtures().zstdNoarch.package()
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let data = try enc.encode(p)
        XCTAssertEqual(try JSONDecoder().decode(RPMPackage.self, from: data), p)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["name", "epoch", "version", "release", "arch", "os", "summary", "description", "license",
                    "vendor", "url", "group", "buildHost", "buildTime", "sourceRPM", "packager", "size", "isSource",
                    "requires", "provides", "conflicts", "obsoletes", "recommends", "suggests", "supplements",
                    "enhances", "files", "fileDigestAlgorithm", "payloadFormat", "payloadCompressor",
                    "payloadFlags", "payloadDigests", "payloadDigestsAlt", "payloadDigestAlgorithm", "signature",
                    "headerOffset", "headerSize", "payloadOffset", "lead"] {
            XCTAssertNotNil(obj[key], "missing key \(key)")
        }
        XCTAssertEqual(obj["fileDigestAlgorithm"] as? String, "sha256")
        let file = try XCTUnwrap((obj["files"] as? [[String: Any]])?.first { $0["path"] as? String == "/usr/share/demo/link" })
        XCTAssertEqual(file["linkTarget"] as? String, "../../bin/demo")
        for key in ["path", "size", "mode", "mtime", "linkTarget", "user", "group", "flags", "attributes"] {
            XCTAssertNotNil(file[key], "missing file key \(key)")
        }
        let dep = try XCTUnwrap((obj["requires"] as? [[String: Any]])?.first { $0["name"] as? String == "bash" })
        XCTAssertEqual(dep["comparison"] as? String, ">=")
        XCTAssertEqual(dep["version"] as? String, "4.0")
        XCTAssertEqual(dep["types"] as? [String], ["manual"])
        let sig = try XCTUnwrap(obj["signature"] as? [String: Any])
        for key in ["headerSHA1", "headerSHA256", "md5", "size", "payloadSize", "isSigned"] {
            XCTAssertNotNil(sig[key], "missing signature key \(key)")
        }
    }
}

extension RPMTestKit {
    /// Records the reads made through it.
    /// @unchecked: the counts are guarded by `lock` (verifyDigests reads on two threads at once).
    final class RecordingReader: ByteReader, @unchecked Sendable {
        let base: any ByteReader
        private let lock = NSLock()
        private var largest = 0
        private var sum = 0
        init(base: any ByteReader) { self.base = base }
        var count: Int { base.count }
        var maxRead: Int { lock.withLock { largest } }
        var total: Int { lock.withLock { sum } }
        func read(at offset: Int, length: Int) throws -> [UInt8] {
            lock.withLock {
                largest = max(largest, length)
                sum += length
            }
            return try base.read(at: offset, length: length)
        }
    }
}
