/// The 96-byte lead at the start of every RPM file.
///
/// Layout (all integers big-endian):
/// `magic[4] = ed ab ee db`, `major u8`, `minor u8`, `type u16` (0 binary, 1 source),
/// `archnum u16`, `name[66]` (NUL-padded), `osnum u16`, `signature_type u16` (5 = header-style
/// signature), `reserved[16]`.
///
/// Since RPM v3 the lead is informational only: rpm itself takes NEVRA, arch and OS from the
/// main header. It is kept for `isSource` cross-checks and for debugging.
public struct RPMLead: Sendable, Equatable, Codable {
    /// Size of the lead in bytes.
    public static let size = 96
    /// The four magic bytes every RPM file starts with.
    public static let magic: [UInt8] = [0xED, 0xAB, 0xEE, 0xDB]
    /// `signature_type` for a header-structured signature, the only kind rpm still reads.
    public static let headerSignatureType: UInt16 = 5

    public let major: UInt8
    public let minor: UInt8
    /// 0 binary package, 1 source package.
    public let type: UInt16
    public let archNumber: UInt16
    /// The NUL-terminated name field (`name-version-release` as written by rpmbuild).
    public let name: String
    public let osNumber: UInt16
    public let signatureType: UInt16

    /// True when the lead says "source package".
    public var isSource: Bool { type == 1 }

    private enum CodingKeys: String, CodingKey {
        case major, minor, type, archNumber, name, osNumber, signatureType
    }

    /// Parses the lead at offset 0 of `reader`.
    ///
    /// Checks, like rpm's `rpmLeadCheck`: magic, major version 3 or 4, signature type 5.
    public init(reader: any ByteReader) throws {
        guard reader.count >= RPMLead.size else {
            // Report a short file with a non-RPM start as bad magic, not as truncation.
            let head = try reader.read(at: 0, length: min(reader.count, 4))
            if head != Array(RPMLead.magic.prefix(head.count)) {
                throw FormatError.badMagic(format: "RPM", found: Hex.string(head))
            }
            throw FormatError.truncated(needed: RPMLead.size, available: reader.count)
        }
        let b = try reader.read(at: 0, length: RPMLead.size)
        try self.init(bytes: b)
    }

    /// Parses a lead from exactly 96 bytes.
    public init(bytes b: [UInt8]) throws {
        guard b.count == RPMLead.size else {
            throw FormatError.truncated(needed: RPMLead.size, available: b.count)
        }
        guard Array(b[0..<4]) == RPMLead.magic else {
            throw FormatError.badMagic(format: "RPM", found: Hex.string(Array(b[0..<4])))
        }
        major = b[4]
        minor = b[5]
        guard major == 3 || major == 4 else {
            throw FormatError.invalid(format: "RPM", reason: "lead: unsupported package format version \(major).\(minor)")
        }
        type = rpmBE16(b, 6)
        archNumber = rpmBE16(b, 8)
        let nameField = b[10..<76]
        let nameBytes = nameField.prefix { $0 != 0 }
        name = String(decoding: nameBytes, as: UTF8.self)
        osNumber = rpmBE16(b, 76)
        signatureType = rpmBE16(b, 78)
        guard signatureType == RPMLead.headerSignatureType else {
            throw FormatError.invalid(format: "RPM", reason: "lead: signature type \(signatureType) is not 5 (header-style signature)")
        }
    }
}
