/// Tag numbers of the RPM main header (rpm's `rpmtag.h`, `RPMTAG_*`).
public enum RPMTag {
    public static let headerImmutable: UInt32 = 63
    public static let headerI18NTable: UInt32 = 100

    public static let name: UInt32 = 1000
    public static let version: UInt32 = 1001
    public static let release: UInt32 = 1002
    public static let epoch: UInt32 = 1003
    public static let summary: UInt32 = 1004
    public static let description: UInt32 = 1005
    public static let buildTime: UInt32 = 1006
    public static let buildHost: UInt32 = 1007
    public static let size: UInt32 = 1009
    public static let distribution: UInt32 = 1010
    public static let vendor: UInt32 = 1011
    public static let license: UInt32 = 1014
    public static let packager: UInt32 = 1015
    public static let group: UInt32 = 1016
    public static let url: UInt32 = 1020
    public static let os: UInt32 = 1021
    public static let arch: UInt32 = 1022
    public static let oldFilenames: UInt32 = 1027
    public static let fileSizes: UInt32 = 1028
    public static let fileModes: UInt32 = 1030
    public static let fileRdevs: UInt32 = 1033
    public static let fileMtimes: UInt32 = 1034
    public static let fileDigests: UInt32 = 1035
    public static let fileLinkTos: UInt32 = 1036
    public static let fileFlags: UInt32 = 1037
    public static let fileUserName: UInt32 = 1039
    public static let fileGroupName: UInt32 = 1040
    public static let sourceRPM: UInt32 = 1044
    public static let archiveSize: UInt32 = 1046
    public static let provideName: UInt32 = 1047
    public static let requireFlags: UInt32 = 1048
    public static let requireName: UInt32 = 1049
    public static let requireVersion: UInt32 = 1050
    public static let conflictFlags: UInt32 = 1053
    public static let conflictName: UInt32 = 1054
    public static let conflictVersion: UInt32 = 1055
    public static let rpmVersion: UInt32 = 1064
    public static let obsoleteName: UInt32 = 1090
    public static let fileDevices: UInt32 = 1095
    public static let fileInodes: UInt32 = 1096
    public static let provideFlags: UInt32 = 1112
    public static let provideVersion: UInt32 = 1113
    public static let obsoleteFlags: UInt32 = 1114
    public static let obsoleteVersion: UInt32 = 1115
    public static let dirIndexes: UInt32 = 1116
    public static let baseNames: UInt32 = 1117
    public static let dirNames: UInt32 = 1118
    public static let payloadFormat: UInt32 = 1124
    public static let payloadCompressor: UInt32 = 1125
    public static let payloadFlags: UInt32 = 1126
    public static let longFileSizes: UInt32 = 5008
    public static let longSize: UInt32 = 5009
    public static let fileDigestAlgo: UInt32 = 5011
    public static let bugURL: UInt32 = 5012
    public static let recommendName: UInt32 = 5046
    public static let recommendVersion: UInt32 = 5047
    public static let recommendFlags: UInt32 = 5048
    public static let suggestName: UInt32 = 5049
    public static let suggestVersion: UInt32 = 5050
    public static let suggestFlags: UInt32 = 5051
    public static let supplementName: UInt32 = 5052
    public static let supplementVersion: UInt32 = 5053
    public static let supplementFlags: UInt32 = 5054
    public static let enhanceName: UInt32 = 5055
    public static let enhanceVersion: UInt32 = 5056
    public static let enhanceFlags: UInt32 = 5057
    public static let payloadDigest: UInt32 = 5092
    public static let payloadDigestAlgo: UInt32 = 5093
    public static let payloadDigestAlt: UInt32 = 5097

    /// rpm's name for a tag (for error messages), or nil when not one this reader knows.
    public static func name(of tag: UInt32, in kind: RPMHeader.Kind) -> String? {
        kind == .signature ? RPMSignatureTag.names[tag] : names[tag]
    }

    static let names: [UInt32: String] = [
        63: "HEADERIMMUTABLE", 100: "HEADERI18NTABLE",
        1000: "NAME", 1001: "VERSION", 1002: "RELEASE", 1003: "EPOCH", 1004: "SUMMARY",
        1005: "DESCRIPTION", 1006: "BUILDTIME", 1007: "BUILDHOST", 1009: "SIZE",
        1010: "DISTRIBUTION", 1011: "VENDOR", 1014: "LICENSE", 1015: "PACKAGER", 1016: "GROUP",
        1020: "URL", 1021: "OS", 1022: "ARCH", 1027: "OLDFILENAMES", 1028: "FILESIZES",
        1030: "FILEMODES", 1033: "FILERDEVS", 1034: "FILEMTIMES", 1035: "FILEDIGESTS",
        1036: "FILELINKTOS", 1037: "FILEFLAGS", 1039: "FILEUSERNAME", 1040: "FILEGROUPNAME",
        1044: "SOURCERPM", 1046: "ARCHIVESIZE", 1047: "PROVIDENAME", 1048: "REQUIREFLAGS",
        1049: "REQUIRENAME", 1050: "REQUIREVERSION", 1053: "CONFLICTFLAGS", 1054: "CONFLICTNAME",
        1055: "CONFLICTVERSION", 1064: "RPMVERSION", 1090: "OBSOLETENAME", 1095: "FILEDEVICES",
        1096: "FILEINODES", 1112: "PROVIDEFLAGS", 1113: "PROVIDEVERSION", 1114: "OBSOLETEFLAGS",
        1115: "OBSOLETEVERSION", 1116: "DIRINDEXES", 1117: "BASENAMES", 1118: "DIRNAMES",
        1124: "PAYLOADFORMAT", 1125: "PAYLOADCOMPRESSOR", 1126: "PAYLOADFLAGS",
        5008: "LONGFILESIZES", 5009: "LONGSIZE", 5011: "FILEDIGESTALGO", 5012: "BUGURL",
        5046: "RECOMMENDNAME", 5047: "RECOMMENDVERSION", 5048: "RECOMMENDFLAGS",
        5049: "SUGGESTNAME", 5050: "SUGGESTVERSION", 5051: "SUGGESTFLAGS",
        5052: "SUPPLEMENTNAME", 5053: "SUPPLEMENTVERSION", 5054: "SUPPLEMENTFLAGS",
        5055: "ENHANCENAME", 5056: "ENHANCEVERSION", 5057: "ENHANCEFLAGS",
        5092: "PAYLOADDIGEST", 5093: "PAYLOADDIGESTALGO", 5097: "PAYLOADDIGESTALT",
    ]
}

/// Tag numbers of the RPM signature header (rpm's `RPMSIGTAG_*`).
public enum RPMSignatureTag {
    public static let headerSignatures: UInt32 = 62
    /// OpenPGP DSA signature of the header.
    public static let dsa: UInt32 = 267
    /// OpenPGP RSA signature of the header.
    public static let rsa: UInt32 = 268
    /// Hex SHA-1 of the main header.
    public static let sha1: UInt32 = 269
    /// Header + payload size, 64-bit.
    public static let longSize: UInt32 = 270
    /// Uncompressed payload size, 64-bit.
    public static let longArchiveSize: UInt32 = 271
    /// Hex SHA-256 of the main header.
    public static let sha256: UInt32 = 273
    /// Header + payload size, 32-bit.
    public static let size: UInt32 = 1000
    /// Legacy OpenPGP signature of header + payload.
    public static let pgp: UInt32 = 1002
    /// MD5 of header + payload.
    public static let md5: UInt32 = 1004
    /// Legacy GnuPG signature of header + payload.
    public static let gpg: UInt32 = 1005
    /// Uncompressed payload size, 32-bit.
    public static let payloadSize: UInt32 = 1007
    public static let reservedSpace: UInt32 = 1008

    static let names: [UInt32: String] = [
        62: "HEADERSIGNATURES", 267: "DSA", 268: "RSA", 269: "SHA1", 270: "LONGSIZE",
        271: "LONGARCHIVESIZE", 273: "SHA256", 1000: "SIZE", 1002: "PGP", 1004: "MD5",
        1005: "GPG", 1007: "PAYLOADSIZE", 1008: "RESERVEDSPACE",
    ]
}

/// A digest algorithm as numbered by OpenPGP / rpm (`PGPHASHALGO_*`), used by FILEDIGESTALGO
/// and PAYLOADDIGESTALGO. Encoded in JSON as its lowercase name (e.g. `"sha256"`).
public struct RPMDigestAlgorithm: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let md5 = RPMDigestAlgorithm(rawValue: 1)
    public static let sha1 = RPMDigestAlgorithm(rawValue: 2)
    public static let ripemd160 = RPMDigestAlgorithm(rawValue: 3)
    public static let md2 = RPMDigestAlgorithm(rawValue: 5)
    public static let tiger192 = RPMDigestAlgorithm(rawValue: 6)
    public static let haval5160 = RPMDigestAlgorithm(rawValue: 7)
    public static let sha256 = RPMDigestAlgorithm(rawValue: 8)
    public static let sha384 = RPMDigestAlgorithm(rawValue: 9)
    public static let sha512 = RPMDigestAlgorithm(rawValue: 10)
    public static let sha224 = RPMDigestAlgorithm(rawValue: 11)

    private static let names: [Int: String] = [
        1: "md5", 2: "sha1", 3: "ripemd160", 5: "md2", 6: "tiger192", 7: "haval-5-160",
        8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224",
    ]

    /// Lowercase name, or `unknown-N`.
    public var name: String { RPMDigestAlgorithm.names[rawValue] ?? "unknown-\(rawValue)" }
    public var description: String { name }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) {
            self.init(rawValue: n)
            return
        }
        let s = try c.decode(String.self)
        if let (k, _) = RPMDigestAlgorithm.names.first(where: { $0.value == s }) {
            self.init(rawValue: k)
        } else if s.hasPrefix("unknown-"), let n = Int(s.dropFirst("unknown-".count)) {
            self.init(rawValue: n)
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown digest algorithm \(s)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// Dependency sense flags (rpm's `rpmsenseFlags`, REQUIREFLAGS and friends).
public enum RPMSense {
    public static let less: UInt32 = 1 << 1
    public static let greater: UInt32 = 1 << 2
    public static let equal: UInt32 = 1 << 3
    public static let posttrans: UInt32 = 1 << 5
    public static let prereq: UInt32 = 1 << 6
    public static let pretrans: UInt32 = 1 << 7
    public static let interp: UInt32 = 1 << 8
    public static let scriptPre: UInt32 = 1 << 9
    public static let scriptPost: UInt32 = 1 << 10
    public static let scriptPreun: UInt32 = 1 << 11
    public static let scriptPostun: UInt32 = 1 << 12
    public static let scriptVerify: UInt32 = 1 << 13
    public static let findRequires: UInt32 = 1 << 14
    public static let findProvides: UInt32 = 1 << 15
    public static let missingOK: UInt32 = 1 << 19
    public static let rpmlib: UInt32 = 1 << 24
    public static let config: UInt32 = 1 << 28
    public static let meta: UInt32 = 1 << 29
}

/// File flags (rpm's `rpmfileAttrs`, FILEFLAGS).
public enum RPMFileFlag {
    public static let config: UInt32 = 1 << 0
    public static let doc: UInt32 = 1 << 1
    public static let icon: UInt32 = 1 << 2
    public static let missingOK: UInt32 = 1 << 3
    public static let noReplace: UInt32 = 1 << 4
    public static let specFile: UInt32 = 1 << 5
    public static let ghost: UInt32 = 1 << 6
    public static let license: UInt32 = 1 << 7
    public static let readme: UInt32 = 1 << 8
    public static let pubkey: UInt32 = 1 << 11
    public static let artifact: UInt32 = 1 << 12
}
