/// What the signature header records about the package: header digests, the legacy MD5,
/// sizes, and whether an OpenPGP signature is present.
public struct RPMSignatureInfo: Sendable, Equatable, Codable {
    /// RPMSIGTAG_SHA1: hex SHA-1 of the main header.
    public let headerSHA1: String?
    /// RPMSIGTAG_SHA256: hex SHA-256 of the main header.
    public let headerSHA256: String?
    /// RPMSIGTAG_MD5 in hex: MD5 of main header + payload.
    public let md5: String?
    /// RPMSIGTAG_LONGSIZE or RPMSIGTAG_SIZE: bytes of main header + payload.
    public let size: Int?
    /// RPMSIGTAG_LONGARCHIVESIZE or RPMSIGTAG_PAYLOADSIZE: bytes of the uncompressed payload.
    public let payloadSize: Int?
    /// True when an RSA/DSA/PGP/GPG signature tag is present (signatures are not verified here).
    public let isSigned: Bool

    private enum CodingKeys: String, CodingKey {
        case headerSHA1, headerSHA256, md5, size, payloadSize, isSigned
    }

    init(_ s: RPMHeader) throws {
        headerSHA1 = try s.string(RPMSignatureTag.sha1)
        headerSHA256 = try s.string(RPMSignatureTag.sha256)
        if let m = try s.binary(RPMSignatureTag.md5) {
            guard m.count == 16 else {
                throw FormatError.invalid(format: "RPM", reason: "signature header: MD5 has \(m.count) bytes, expected 16")
            }
            md5 = Hex.string(m)
        } else {
            md5 = nil
        }
        size = try s.integer(RPMSignatureTag.longSize) ?? s.integer(RPMSignatureTag.size)
        payloadSize = try s.integer(RPMSignatureTag.longArchiveSize) ?? s.integer(RPMSignatureTag.payloadSize)
        isSigned = [RPMSignatureTag.rsa, RPMSignatureTag.dsa, RPMSignatureTag.pgp, RPMSignatureTag.gpg]
            .contains { s.contains($0) }
    }
}

/// The three parts of an RPM before the payload, parsed and validated, plus where the payload
/// starts. Use this for raw tag access; ``RPMPackage`` is the typed view.
public struct RPMHeaders: Sendable {
    public let lead: RPMLead
    public let signature: RPMHeader
    public let header: RPMHeader
    /// Byte offset of the compressed payload (just past the main header).
    public var payloadOffset: Int { header.endOffset }

    /// Reads lead, signature header (and its padding to 8 bytes) and main header.
    public init(reader: any ByteReader) throws {
        lead = try RPMLead(reader: reader)
        signature = try RPMHeader(reader: reader, at: RPMLead.size, kind: .signature)
        let sigEnd = signature.endOffset
        let padded = sigEnd + (8 - sigEnd % 8) % 8
        guard padded <= reader.count else {
            throw FormatError.truncated(needed: padded, available: reader.count)
        }
        header = try RPMHeader(reader: reader, at: padded, kind: .main)
    }
}

/// An RPM package's metadata, read from its lead, signature header and main header.
///
/// Parsing reads only those headers (never the payload), validates every index entry and
/// length first (see ``RPMHeader``), and throws a precise ``FormatError`` on any violation.
/// Encoded to JSON with the camelCase keys of ``CodingKeys``.
public struct RPMPackage: Sendable, Equatable, Codable {
    public let lead: RPMLead
    public let name: String
    public let epoch: Int?
    public let version: String
    public let release: String
    public let arch: String?
    public let os: String?
    public let summary: String?
    public let description: String?
    public let license: String?
    public let vendor: String?
    public let url: String?
    public let group: String?
    public let buildHost: String?
    public let buildTime: Int?
    public let sourceRPM: String?
    public let packager: String?
    public let distribution: String?
    public let bugURL: String?
    /// LONGSIZE or SIZE: installed size in bytes.
    public let size: Int?
    /// True for a source package (no SOURCERPM tag, as rpm decides; the lead's type agrees).
    public let isSource: Bool

    public let requires: [RPMDependency]
    public let provides: [RPMDependency]
    public let conflicts: [RPMDependency]
    public let obsoletes: [RPMDependency]
    public let recommends: [RPMDependency]
    public let suggests: [RPMDependency]
    public let supplements: [RPMDependency]
    public let enhances: [RPMDependency]

    public let files: [RPMFileEntry]
    /// FILEDIGESTALGO; MD5 when absent.
    public let fileDigestAlgorithm: RPMDigestAlgorithm

    /// PAYLOADFORMAT, e.g. "cpio".
    public let payloadFormat: String?
    /// PAYLOADCOMPRESSOR, e.g. "zstd", "xz", "gzip".
    public let payloadCompressor: String?
    /// PAYLOADFLAGS, e.g. "19" (compression level).
    public let payloadFlags: String?
    /// PAYLOADDIGEST: hex digest(s) of the compressed payload.
    public let payloadDigests: [String]
    /// PAYLOADDIGESTALT: hex digest(s) of the uncompressed payload.
    public let payloadDigestsAlt: [String]
    /// PAYLOADDIGESTALGO (nil when absent: the payload digest then cannot be checked).
    public let payloadDigestAlgorithm: RPMDigestAlgorithm?

    public let signature: RPMSignatureInfo

    /// Offset of the main header's magic.
    public let headerOffset: Int
    /// Bytes of the main header, magic to end of store.
    public let headerSize: Int
    /// Offset where the compressed payload starts.
    public let payloadOffset: Int

    public enum CodingKeys: String, CodingKey {
        case lead, name, epoch, version, release, arch, os, summary, description, license, vendor
        case url, group, buildHost, buildTime, sourceRPM, packager, distribution, bugURL, size, isSource
        case requires, provides, conflicts, obsoletes, recommends, suggests, supplements, enhances
        case files, fileDigestAlgorithm
        case payloadFormat, payloadCompressor, payloadFlags, payloadDigests, payloadDigestsAlt, payloadDigestAlgorithm
        case signature, headerOffset, headerSize, payloadOffset
    }

    /// `[epoch:]version-release`.
    public var evr: String {
        (epoch.map { "\($0):" } ?? "") + "\(version)-\(release)"
    }

    /// `name-[epoch:]version-release.arch`.
    public var nevra: String {
        "\(name)-\(evr)" + (arch.map { ".\($0)" } ?? "")
    }

    /// Parses the package file at `path`.
    public init(path: String) throws {
        try self.init(reader: FileBytes(path: path))
    }

    /// Parses lead, signature header and main header of `reader`.
    ///
    /// Also checks that the input is at least as long as the signature's recorded
    /// header + payload size (`FormatError.truncated` otherwise).
    public init(reader: any ByteReader) throws {
        try self.init(headers: RPMHeaders(reader: reader), inputSize: reader.count)
    }

    /// Builds the typed view of already parsed headers; `inputSize` is the size of the whole
    /// input, checked against the signature's SIZE.
    public init(headers: RPMHeaders, inputSize: Int) throws {
        let h = headers.header
        func required(_ tag: UInt32) throws -> String {
            guard let s = try h.string(tag) else {
                throw FormatError.invalid(format: "RPM", reason: "header: missing \(rpmTagLabel(tag))")
            }
            return s
        }

        lead = headers.lead
        name = try required(RPMTag.name)
        version = try required(RPMTag.version)
        release = try required(RPMTag.release)
        epoch = try h.integer(RPMTag.epoch)
        arch = try h.string(RPMTag.arch)
        os = try h.string(RPMTag.os)
        summary = try h.string(RPMTag.summary)
        description = try h.string(RPMTag.description)
        license = try h.string(RPMTag.license)
        vendor = try h.string(RPMTag.vendor)
        url = try h.string(RPMTag.url)
        group = try h.string(RPMTag.group)
        buildHost = try h.string(RPMTag.buildHost)
        buildTime = try h.integer(RPMTag.buildTime)
        sourceRPM = try h.string(RPMTag.sourceRPM)
        packager = try h.string(RPMTag.packager)
        distribution = try h.string(RPMTag.distribution)
        bugURL = try h.string(RPMTag.bugURL)
        size = try h.integer(RPMTag.longSize) ?? h.integer(RPMTag.size)
        isSource = !h.contains(RPMTag.sourceRPM)

        requires = try RPMDependency.list(from: h, name: RPMTag.requireName, flags: RPMTag.requireFlags, version: RPMTag.requireVersion)
        provides = try RPMDependency.list(from: h, name: RPMTag.provideName, flags: RPMTag.provideFlags, version: RPMTag.provideVersion)
        conflicts = try RPMDependency.list(from: h, name: RPMTag.conflictName, flags: RPMTag.conflictFlags, version: RPMTag.conflictVersion)
        obsoletes = try RPMDependency.list(from: h, name: RPMTag.obsoleteName, flags: RPMTag.obsoleteFlags, version: RPMTag.obsoleteVersion)
        recommends = try RPMDependency.list(from: h, name: RPMTag.recommendName, flags: RPMTag.recommendFlags, version: RPMTag.recommendVersion)
        suggests = try RPMDependency.list(from: h, name: RPMTag.suggestName, flags: RPMTag.suggestFlags, version: RPMTag.suggestVersion)
        supplements = try RPMDependency.list(from: h, name: RPMTag.supplementName, flags: RPMTag.supplementFlags, version: RPMTag.supplementVersion)
        enhances = try RPMDependency.list(from: h, name: RPMTag.enhanceName, flags: RPMTag.enhanceFlags, version: RPMTag.enhanceVersion)

        files = try RPMFileEntry.list(from: h)
        fileDigestAlgorithm = RPMDigestAlgorithm(rawValue: try h.integer(RPMTag.fileDigestAlgo) ?? RPMDigestAlgorithm.md5.rawValue)

        payloadFormat = try h.string(RPMTag.payloadFormat)
        payloadCompressor = try h.string(RPMTag.payloadCompressor)
        payloadFlags = try h.string(RPMTag.payloadFlags)
        payloadDigests = try h.strings(RPMTag.payloadDigest) ?? []
        payloadDigestsAlt = try h.strings(RPMTag.payloadDigestAlt) ?? []
        payloadDigestAlgorithm = try h.integer(RPMTag.payloadDigestAlgo).map(RPMDigestAlgorithm.init(rawValue:))

        signature = try RPMSignatureInfo(headers.signature)
        headerOffset = h.offset
        headerSize = h.byteCount
        payloadOffset = headers.payloadOffset

        if let total = signature.size {
            let needed = headerOffset.addingReportingOverflow(total)
            if needed.overflow || needed.partialValue > inputSize {
                throw FormatError.truncated(needed: needed.overflow ? Int.max : needed.partialValue, available: inputSize)
            }
            if total < headerSize {
                throw FormatError.invalid(format: "RPM", reason: "signature header: SIZE \(total) is smaller than the \(headerSize)-byte main header")
            }
        }
    }
}
