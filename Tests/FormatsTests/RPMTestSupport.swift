import Foundation
import XCTest
import PkgfsFormats

/// Helpers for the RPM* tests, all inside one namespace so they cannot collide with other
/// test files of the target.
///
/// Real packages are built once per test process with `rpmbuild` (several arches and payload
/// compressors), every `rpm -qp --queryformat` answer the tests compare against is captured
/// right then, and the build directory is removed again.
enum RPMTestKit {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    // MARK: Running tools

    struct RunResult {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `argv` with LC_ALL=C; output goes through files, so large outputs cannot block.
    static func run(_ argv: [String], cwd: String? = nil) throws -> RunResult {
        let tmp = NSTemporaryDirectory() + "pkgfs-rpmtest-run-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: tmp + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: tmp + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: tmp + ".out")
            try? FileManager.default.removeItem(atPath: tmp + ".err")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var env = ProcessInfo.processInfo.environment
        env["LC_ALL"] = "C"
        env["LANG"] = "C"
        env["LANGUAGE"] = "C"
        p.environment = env
        let outH = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp + ".out"))
        let errH = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp + ".err"))
        p.standardOutput = outH
        p.standardError = errH
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try outH.close()
        try errH.close()
        let out = try Data(contentsOf: URL(fileURLWithPath: tmp + ".out"))
        let err = try Data(contentsOf: URL(fileURLWithPath: tmp + ".err"))
        return RunResult(status: p.terminationStatus,
                         stdout: String(decoding: out, as: UTF8.self),
                         stderr: String(decoding: err, as: UTF8.self))
    }

    /// Runs `argv`, throwing with its stderr when it exits non-zero.
    @discardableResult
    static func runChecked(_ argv: [String], cwd: String? = nil) throws -> String {
        let r = try run(argv, cwd: cwd)
        guard r.status == 0 else {
            throw Failure(description: "\(argv.joined(separator: " ")) exited \(r.status): \(r.stderr.suffix(3000))")
        }
        return r.stdout
    }

    /// The absolute path of `tool` on PATH, or a failure telling to run scripts/setup.
    static func requireTool(_ tool: String) throws -> String {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for d in dirs {
            let p = "\(d)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw Failure(description: "\(tool) is not installed: run scripts/setup (it installs rpm, which the RPM tests build and query packages with)")
    }

    // MARK: Fixtures

    /// One package built by rpmbuild, with rpm's own answers about it.
    struct Fixture: Sendable {
        let label: String
        let fileName: String
        let bytes: [UInt8]
        /// The first bytes the compressed payload must start with.
        let payloadMagic: [UInt8]
        /// Query-format answers of `rpm -qp`, by key of ``queries``.
        let rpm: [String: String]
        /// `rpm -Kv` output.
        let rpmCheck: String

        var reader: MemoryBytes { MemoryBytes(bytes) }
        func package() throws -> RPMPackage { try RPMPackage(reader: reader) }
    }

    struct Fixtures: Sendable {
        /// noarch, zstd level 19 payload, the full spec.
        let zstdNoarch: Fixture
        /// --target aarch64, xz level 6 payload.
        let xzAarch64: Fixture
        /// --target x86_64, gzip level 9 payload.
        let gzipX86: Fixture
        /// The source package of the full spec.
        let source: Fixture
        /// A package without files and with every scriptlet dependency qualifier.
        let noFiles: Fixture

        var all: [Fixture] { [zstdNoarch, xzAarch64, gzipX86, source, noFiles] }
        var binaries: [Fixture] { [zstdNoarch, xzAarch64, gzipX86, noFiles] }
    }

    /// Scalar tags compared field by field; joined with ``separator`` in one query.
    static let scalarTags = [
        "NAME", "EPOCH", "VERSION", "RELEASE", "ARCH", "OS", "SUMMARY", "DESCRIPTION", "LICENSE",
        "VENDOR", "URL", "GROUP", "BUILDHOST", "BUILDTIME", "SOURCERPM", "PACKAGER", "DISTRIBUTION",
        "BUGURL", "LONGSIZE", "PAYLOADFORMAT", "PAYLOADCOMPRESSOR", "PAYLOADFLAGS", "PAYLOADDIGESTALGO",
        "FILEDIGESTALGO", "SHA1HEADER", "SHA256HEADER", "SIGMD5", "LONGSIGSIZE", "LONGARCHIVESIZE",
    ]
    static let separator = "|@@|"

    /// The dependency kinds and their rpm tag prefixes.
    static let dependencyKinds: [(key: String, tag: String)] = [
        ("requires", "REQUIRE"), ("provides", "PROVIDE"), ("conflicts", "CONFLICT"),
        ("obsoletes", "OBSOLETE"), ("recommends", "RECOMMEND"), ("suggests", "SUGGEST"),
        ("supplements", "SUPPLEMENT"), ("enhances", "ENHANCE"),
    ]

    /// key → query format.
    static var queries: [String: String] {
        var q: [String: String] = [
            "scalars": scalarTags.map { "%{\($0)}" }.joined(separator: separator),
            "files": "[%{FILENAMES}\\t%{LONGFILESIZES}\\t%{FILEMODES}\\t%{FILEMTIMES}\\t%{FILELINKTOS}\\t%{FILEDIGESTS}\\t%{FILEUSERNAME}\\t%{FILEGROUPNAME}\\t%{FILEFLAGS}\\t%{FILEFLAGS:fflags}\\t%{FILERDEVS}\\t%{FILEINODES}\\t%{FILEDEVICES}\\n]",
            "payloaddigest": "[%{PAYLOADDIGEST}\\n]",
            "payloaddigestalt": "[%{PAYLOADDIGESTALT}\\n]",
            "nevr": "%{NEVR}",
        ]
        for (key, tag) in dependencyKinds {
            q[key] = "[%{\(tag)NAME}\\t%{\(tag)FLAGS}\\t%{\(tag)FLAGS:depflags}\\t%{\(tag)FLAGS:deptype}\\t%{\(tag)VERSION}\\n]"
        }
        return q
    }

    /// Built once per process; a missing rpmbuild/rpm makes every RPM test fail with the reason.
    static let shared: Result<Fixtures, Failure> = {
        do {
            return .success(try buildFixtures())
        } catch let f as Failure {
            return .failure(f)
        } catch {
            return .failure(Failure(description: "building RPM fixtures failed: \(error)"))
        }
    }()

    static func fixtures() throws -> Fixtures {
        try shared.get()
    }

    /// Size of the incompressible file in the full spec: > 2 MiB so the payload spans several
    /// 1 MiB digest chunks.
    static let bigFileSize = 2_500_000

    static func spec(buildArch: String?) -> String {
        """
        Name: pkgfs-demo
        Epoch: 3
        Version: 1.0~rc1
        Release: 20210812221645.alios7
        Summary: A demo package for pkgfs tests
        License: MIT and (ASL 2.0 or BSD)
        URL: https://example.invalid/pkgfs
        Vendor: Pkgfs Test Vendor
        Packager: Test Packager <test@example.invalid>
        Group: Applications/System
        Distribution: Pkgfs Test Distribution
        BugURL: https://example.invalid/bugs
        Source0: big.bin
        \(buildArch.map { "BuildArch: \($0)" } ?? "")
        Requires: bash >= 4.0
        Requires(pre): coreutils
        Requires(post): /bin/sh
        Requires: libfoo(x86-64) < 2:3.0-1
        Requires: exactpkg = 1.2-3
        Provides: demo-virtual = 1.0
        Provides: demo-cap
        Conflicts: otherpkg <= 0.9
        Conflicts: badpkg > 5
        Obsoletes: oldpkg < 1.0
        Recommends: recpkg > 1.1
        Suggests: sugpkg
        Supplements: suppkg = 2.0
        Enhances: enhpkg >= 0.1

        %description
        A demo package.
        Second line of the description.

        %prep
        %build
        %install
        mkdir -p %{buildroot}/usr/bin %{buildroot}/etc/demo %{buildroot}/usr/share/demo
        printf '#!/bin/sh\\necho hi\\n' > %{buildroot}/usr/bin/demo
        chmod 755 %{buildroot}/usr/bin/demo
        ln %{buildroot}/usr/bin/demo %{buildroot}/usr/bin/demo-hardlink
        echo "key=value" > %{buildroot}/etc/demo/demo.conf
        echo "other=1" > %{buildroot}/etc/demo/plain.conf
        cp %{_sourcedir}/big.bin %{buildroot}/usr/share/demo/big.bin
        ln -s ../../bin/demo %{buildroot}/usr/share/demo/link
        echo "spaces" > "%{buildroot}/usr/share/demo/with space.txt"
        touch %{buildroot}/usr/share/demo/empty
        echo "secret" > %{buildroot}/usr/share/demo/owned

        %files
        %dir /usr/share/demo
        %dir /etc/demo
        /usr/bin/demo
        /usr/bin/demo-hardlink
        %config(noreplace) /etc/demo/demo.conf
        %config /etc/demo/plain.conf
        /usr/share/demo/big.bin
        /usr/share/demo/link
        "/usr/share/demo/with space.txt"
        %doc /usr/share/demo/empty
        %attr(0640,bin,daemon) /usr/share/demo/owned
        %ghost /var/log/demo.log
        %dev(c,1,3) /dev/demo-null

        %changelog
        * Thu Aug 12 2021 Test Packager <test@example.invalid> - 3:1.0~rc1-20210812221645.alios7
        - first
        """
    }

    static let noFilesSpec = """
        Name: pkgfs-nofiles
        Version: 2.0^post1
        Release: 1
        Summary: No files, many qualifiers
        License: MIT
        BuildArch: noarch
        Requires(pre,post,preun,postun): qual-a
        Requires(pretrans,posttrans): qual-b >= 1
        Requires(verify): qual-c
        Requires(interp): qual-d
        Requires(meta): qual-e
        Requires(preun): qual-f

        %description
        Nothing inside.

        %files
        """

    static func buildFixtures() throws -> Fixtures {
        let rpmbuild = try requireTool("rpmbuild")
        _ = try requireTool("rpm")
        let top = NSTemporaryDirectory() + "pkgfs-rpmtest-\(UUID().uuidString)"
        let fm = FileManager.default
        for d in ["SPECS", "SOURCES", "BUILD", "RPMS", "SRPMS", "BUILDROOT"] {
            try fm.createDirectory(atPath: "\(top)/\(d)", withIntermediateDirectories: true)
        }
        defer { try? fm.removeItem(atPath: top) }

        // Incompressible, deterministic content.
        var big = [UInt8](repeating: 0, count: bigFileSize)
        var s: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in big.indices {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            big[i] = UInt8(truncatingIfNeeded: s >> 24)
        }
        try Data(big).write(to: URL(fileURLWithPath: "\(top)/SOURCES/big.bin"))
        try spec(buildArch: "noarch").write(toFile: "\(top)/SPECS/noarch.spec", atomically: true, encoding: .utf8)
        try spec(buildArch: nil).write(toFile: "\(top)/SPECS/arch.spec", atomically: true, encoding: .utf8)
        try noFilesSpec.write(toFile: "\(top)/SPECS/nofiles.spec", atomically: true, encoding: .utf8)

        func build(_ spec: String, _ extra: [String], mode: String = "-bb") throws {
            try runChecked([rpmbuild, mode, "--define", "_topdir \(top)", "--define", "debug_package %{nil}",
                            "--define", "_build_id_links none"] + extra + ["\(top)/SPECS/\(spec)"])
        }
        try build("noarch.spec", ["--define", "_binary_payload w19.zstdio"])
        try build("arch.spec", ["--target", "aarch64", "--define", "_binary_payload w6.xzdio"])
        try build("arch.spec", ["--target", "x86_64", "--define", "_binary_payload w9.gzdio"])
        try build("arch.spec", ["--define", "_source_payload w9.gzdio"], mode: "-bs")
        try build("nofiles.spec", ["--define", "_binary_payload w3.zstdio"])

        let nvr = "pkgfs-demo-1.0~rc1-20210812221645.alios7"
        func fixture(_ label: String, _ relPath: String, _ magic: [UInt8]) throws -> Fixture {
            let path = "\(top)/\(relPath)"
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            var answers: [String: String] = [:]
            for (key, format) in queries {
                answers[key] = try runChecked(["/usr/bin/env", "rpm", "-qp", "--nosignature", "--nodigest", "--queryformat", format, path])
            }
            let check = try run(["/usr/bin/env", "rpm", "-Kv", "--nosignature", path])
            return Fixture(label: label, fileName: (relPath as NSString).lastPathComponent, bytes: bytes,
                           payloadMagic: magic, rpm: answers, rpmCheck: check.stdout + check.stderr)
        }
        let zstd: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        let xz: [UInt8] = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]
        let gzip: [UInt8] = [0x1F, 0x8B]
        return Fixtures(
            zstdNoarch: try fixture("noarch/zstd", "RPMS/noarch/\(nvr).noarch.rpm", zstd),
            xzAarch64: try fixture("aarch64/xz", "RPMS/aarch64/\(nvr).aarch64.rpm", xz),
            gzipX86: try fixture("x86_64/gzip", "RPMS/x86_64/\(nvr).x86_64.rpm", gzip),
            source: try fixture("source", "SRPMS/\(nvr).src.rpm", gzip),
            noFiles: try fixture("nofiles", "RPMS/noarch/pkgfs-nofiles-2.0^post1-1.noarch.rpm", zstd))
    }

    // MARK: Readers and mutations

    /// The first `count` bytes of a shared buffer, without copying it.
    struct Prefix: ByteReader {
        let base: MemoryBytes
        let count: Int
        func read(at offset: Int, length: Int) throws -> [UInt8] {
            guard offset >= 0, length >= 0, offset <= count, length <= count - offset else {
                throw FormatError.truncated(needed: offset &+ length, available: count)
            }
            return try base.read(at: offset, length: length)
        }
    }

    /// `head` in place of the first `head.count` bytes of `base`.
    struct Spliced: ByteReader {
        let head: [UInt8]
        let base: MemoryBytes
        var count: Int { base.count }
        func read(at offset: Int, length: Int) throws -> [UInt8] {
            var out = try base.read(at: offset, length: length)
            if offset < head.count {
                for i in offset..<min(head.count, offset + length) { out[i - offset] = head[i] }
            }
            return out
        }
    }

    static func putBE32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        b[at] = UInt8(v >> 24); b[at + 1] = UInt8((v >> 16) & 0xFF)
        b[at + 2] = UInt8((v >> 8) & 0xFF); b[at + 3] = UInt8(v & 0xFF)
    }

    static func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }

    /// Offset of the first occurrence of `needle` in `hay[from..<to]`.
    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int = 0, to: Int? = nil) -> Int? {
        let end = (to ?? hay.count) - needle.count
        guard from <= end else { return nil }
        for i in from...end where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }

    /// Asserts `body` throws a FormatError and returns it.
    @discardableResult
    static func expectFormatError<T>(_ body: () throws -> T, _ message: String,
                                     file: StaticString = #filePath, line: UInt = #line) -> FormatError? {
        do {
            _ = try body()
            XCTFail("expected a FormatError: \(message)", file: file, line: line)
            return nil
        } catch let e as FormatError {
            return e
        } catch {
            XCTFail("expected a FormatError, got \(type(of: error)) \(error): \(message)", file: file, line: line)
            return nil
        }
    }

    /// Parses and verifies; the step an ingest would run.
    static func parseAndVerify(_ r: any ByteReader) throws -> (RPMPackage, [RPMDigestResult]) {
        let p = try RPMPackage(reader: r)
        return (p, try p.verifyDigests(reader: r))
    }

    // MARK: Synthetic packages

    /// A header entry for hand-made headers.
    struct Entry {
        var tag: UInt32
        var type: UInt32
        var count: UInt32
        var data: [UInt8]
        /// Alignment the builder pads to before the data.
        var align: Int = 1
        /// Replaces the computed offset (for hostile cases).
        var offset: UInt32?

        static func string(_ tag: UInt32, _ s: String) -> Entry {
            Entry(tag: tag, type: 6, count: 1, data: Array(s.utf8) + [0])
        }
        static func strings(_ tag: UInt32, _ a: [String], type: UInt32 = 8) -> Entry {
            Entry(tag: tag, type: type, count: UInt32(a.count), data: a.flatMap { Array($0.utf8) + [0] })
        }
        static func int32(_ tag: UInt32, _ a: [UInt32]) -> Entry {
            var d: [UInt8] = []
            for v in a { d += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
            return Entry(tag: tag, type: 4, count: UInt32(a.count), data: d, align: 4)
        }
        static func int16(_ tag: UInt32, _ a: [UInt16]) -> Entry {
            Entry(tag: tag, type: 3, count: UInt32(a.count), data: a.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }, align: 2)
        }
        static func int64(_ tag: UInt32, _ a: [UInt64]) -> Entry {
            var d: [UInt8] = []
            for v in a { for k in (0..<8).reversed() { d.append(UInt8((v >> (UInt64(k) * 8)) & 0xFF)) } }
            return Entry(tag: tag, type: 5, count: UInt32(a.count), data: d, align: 8)
        }
        static func bin(_ tag: UInt32, _ b: [UInt8]) -> Entry {
            Entry(tag: tag, type: 7, count: UInt32(b.count), data: b)
        }
    }

    /// A header blob (magic to end of store); `region` adds rpm's region tag and trailer.
    static func header(_ entries: [Entry], region: UInt32? = nil) -> [UInt8] {
        var store: [UInt8] = []
        var index: [(UInt32, UInt32, UInt32, UInt32)] = []
        for e in entries {
            while store.count % e.align != 0 { store.append(0) }
            index.append((e.tag, e.type, e.offset ?? UInt32(store.count), e.count))
            store += e.data
        }
        if let region {
            let il = UInt32(index.count + 1)
            index.insert((region, 7, UInt32(store.count), 16), at: 0)
            var trailer = [UInt8](repeating: 0, count: 16)
            putBE32(&trailer, 0, region)
            putBE32(&trailer, 4, 7)
            putBE32(&trailer, 8, UInt32(bitPattern: -Int32(il * 16)))
            putBE32(&trailer, 12, 16)
            store += trailer
        }
        var out: [UInt8] = RPMHeader.magic
        out += [0, 0, 0, 0, 0, 0, 0, 0]
        putBE32(&out, 8, UInt32(index.count))
        putBE32(&out, 12, UInt32(store.count))
        for (t, ty, o, c) in index {
            var e = [UInt8](repeating: 0, count: 16)
            putBE32(&e, 0, t); putBE32(&e, 4, ty); putBE32(&e, 8, o); putBE32(&e, 12, c)
            out += e
        }
        return out + store
    }

    /// A 96-byte binary lead.
    static func lead(name: String = "synthetic-1-1", type: UInt16 = 0) -> [UInt8] {
        var l = [UInt8](repeating: 0, count: 96)
        l[0] = 0xED; l[1] = 0xAB; l[2] = 0xEE; l[3] = 0xDB
        l[4] = 3; l[5] = 0
        l[6] = UInt8(type >> 8); l[7] = UInt8(type & 0xFF)
        l[9] = 1
        for (i, c) in name.utf8.prefix(65).enumerated() { l[10 + i] = c }
        l[77] = 1
        l[79] = 5
        return l
    }

    /// Lead + signature header (padded to 8) + main header + payload.
    static func package(signature: [Entry]? = nil, main: [Entry], mainRegion: UInt32? = 63,
                        payload: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
        let mainBlob = header(main, region: mainRegion)
        let sigEntries = signature ?? [.int32(1000, [UInt32(mainBlob.count + payload.count)])]
        var out = lead() + header(sigEntries, region: 62)
        while out.count % 8 != 0 { out.append(0) }
        return out + mainBlob + payload
    }

    /// NAME, VERSION, RELEASE, ARCH, OS, SOURCERPM: the least a binary package has.
    static var minimalMain: [Entry] {
        [.string(1000, "synthetic"), .string(1001, "1"), .string(1002, "1"),
         .string(1021, "linux"), .string(1022, "noarch"), .string(1044, "synthetic-1-1.src.rpm")]
    }
}
