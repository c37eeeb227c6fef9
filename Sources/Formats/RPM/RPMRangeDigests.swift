/// A digest an RPM records over the bytes from `start` to the end of the file: the payload
/// digest (from the payload's first byte) or the legacy MD5 (from the main header's). Such a
/// digest can be computed while the file streams in, once `start` is known.
public struct RPMRangeDigest: Sendable, Equatable {
    public let kind: RPMDigestResult.Kind
    public let start: Int
    public let algorithm: RPMDigestAlgorithm

    public init(kind: RPMDigestResult.Kind, start: Int, algorithm: RPMDigestAlgorithm) {
        self.kind = kind
        self.start = start
        self.algorithm = algorithm
    }
}

/// A range digest computed elsewhere (while the upload streamed in), for `verifyDigests`.
public struct RPMComputedDigest: Sendable, Equatable {
    public let digest: RPMRangeDigest
    public let hex: String

    public init(_ digest: RPMRangeDigest, hex: String) {
        self.digest = digest
        self.hex = hex
    }
}

/// Where an RPM's sections begin, from the first bytes of the file alone: the lead and the
/// index count and data length of each header's 16-byte intro.
public enum RPMLayoutProbe: Equatable, Sendable {
    /// The first `count` bytes tell more.
    case needs(Int)
    /// The whole of lead, signature and main header is in the first `payloadOffset` bytes.
    case known(headerOffset: Int, payloadOffset: Int)
    /// Not the start of an RPM (or headers larger than any parser here accepts).
    case notRPM

    public init(prefix: UnsafeRawBufferPointer) {
        let leadMagic: [UInt8] = [0xED, 0xAB, 0xEE, 0xDB]
        guard prefix.count >= RPMLead.size + 16 else { self = .needs(RPMLead.size + 16); return }
        guard prefix.prefix(4).elementsEqual(leadMagic) else { self = .notRPM; return }
        guard let signatureEnd = Self.end(of: prefix, at: RPMLead.size, limits: .signature) else {
            self = .notRPM
            return
        }
        let headerOffset = signatureEnd + (8 - signatureEnd % 8) % 8
        guard prefix.count >= headerOffset + 16 else { self = .needs(headerOffset + 16); return }
        guard let payloadOffset = Self.end(of: prefix, at: headerOffset, limits: .main) else {
            self = .notRPM
            return
        }
        self = prefix.count >= payloadOffset ? .known(headerOffset: headerOffset, payloadOffset: payloadOffset)
                                             : .needs(payloadOffset)
    }

    /// The end of the header whose intro is at `offset` (magic, reserved, il, dl), or nil when
    /// the intro is not a header's or breaks `limits`.
    private static func end(of bytes: UnsafeRawBufferPointer, at offset: Int, limits: RPMHeaderLimits) -> Int? {
        guard bytes[offset..<(offset + 8)].elementsEqual(RPMHeader.magic) else { return nil }
        func be32(_ i: Int) -> Int { bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        let il = be32(offset + 8), dl = be32(offset + 12)
        guard il >= 1, il <= limits.maxEntries, dl <= limits.maxDataBytes else { return nil }
        return offset + 16 + 16 * il + dl
    }
}

extension RPMHeaders {
    /// The range digests ``RPMPackage/verifyDigests(reader:computed:parallelFrom:)`` checks,
    /// as these headers record them: the payload digest when PAYLOADDIGEST and its algorithm
    /// are there, the MD5 when the signature has one.
    public func rangeDigests() throws -> [RPMRangeDigest] {
        var digests: [RPMRangeDigest] = []
        if try header.strings(RPMTag.payloadDigest)?.isEmpty == false,
           let algorithm = try header.integer(RPMTag.payloadDigestAlgo) {
            digests.append(RPMRangeDigest(kind: .payload, start: payloadOffset,
                                          algorithm: RPMDigestAlgorithm(rawValue: algorithm)))
        }
        if signature.contains(RPMSignatureTag.md5) {
            digests.append(RPMRangeDigest(kind: .md5, start: header.offset, algorithm: .md5))
        }
        return digests
    }
}
