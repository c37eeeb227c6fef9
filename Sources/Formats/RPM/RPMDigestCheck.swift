import Crypto

/// The outcome of one digest recorded in a package.
public struct RPMDigestResult: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// RPMSIGTAG_SHA256 over the main header.
        case headerSHA256
        /// RPMSIGTAG_SHA1 over the main header.
        case headerSHA1
        /// PAYLOADDIGEST over the compressed payload.
        case payload
        /// PAYLOADDIGESTALT over the uncompressed payload (needs decompression: not checked here).
        case payloadAlt
        /// RPMSIGTAG_MD5 over main header + payload.
        case md5
    }

    public let kind: Kind
    /// What was digested and how, for people: "header SHA-256", "payload SHA-256", ...
    public let what: String
    public let algorithm: RPMDigestAlgorithm
    /// The hex digest recorded in the package.
    public let expected: String
    /// True when the digest was computed and matched; false when it could not be checked
    /// (see `note`). A mismatch is never returned: it throws.
    public let verified: Bool
    /// Why a digest was not checked.
    public let note: String?

    private enum CodingKeys: String, CodingKey {
        case kind, what, algorithm, expected, verified, note
    }
}

extension RPMPackage {
    /// Size of the chunks the header and payload are read in.
    public static let digestChunkSize = 1 << 20

    /// From this size of header + payload on, the MD5 pass runs beside the payload digest's.
    public static let parallelDigestsFrom = 4 << 20

    /// Checks every digest the package records against the bytes of `reader` (the same file
    /// the package was parsed from), streamed in 1 MiB chunks (from `parallelFrom` bytes of header
    /// + payload on, the MD5's pass runs beside the payload digest's):
    /// - header SHA-256 and SHA-1 (signature header) over the main header, magic to end;
    /// - the payload digest (PAYLOADDIGEST, algorithm PAYLOADDIGESTALGO) over the compressed
    ///   payload, from ``payloadOffset`` to the end of the input;
    /// - the legacy MD5 (signature header) over main header + payload.
    ///
    /// Before hashing, the input's length must equal the main header offset plus the
    /// signature's SIZE when it is recorded (`truncated` if shorter, `invalid` if longer).
    ///
    /// - Returns: one result per recorded digest, in the order above; PAYLOADDIGESTALT is
    ///   listed unverified (it covers the uncompressed payload).
    /// - Throws: `FormatError.digestMismatch(what:expected:actual:)` for the first digest
    ///   that does not match, naming it ("header SHA-256", "payload SHA-256", ...).
    /// `computed`: range digests already computed over the same bytes (while they streamed in);
    /// one that matches a recorded digest's kind, start and algorithm is compared instead of
    /// reading that range again.
    /// Tests pass `parallelFrom: 0` to take the side-by-side path with small fixtures.
    public func verifyDigests(reader: any ByteReader, computed: [RPMComputedDigest] = [],
                              parallelFrom: Int = parallelDigestsFrom) throws -> [RPMDigestResult] {
        let end = reader.count
        if let total = signature.size {
            let (sum, overflow) = headerOffset.addingReportingOverflow(total)
            let expectedEnd = overflow ? Int.max : sum
            if end < expectedEnd { throw FormatError.truncated(needed: expectedEnd, available: end) }
            if end > expectedEnd {
                throw FormatError.invalid(format: "RPM", reason: "\(end - expectedEnd) bytes follow the payload (signature SIZE says the package ends at byte \(expectedEnd))")
            }
        }
        guard payloadOffset <= end else { throw FormatError.truncated(needed: payloadOffset, available: end) }

        struct Check {
            let kind: RPMDigestResult.Kind
            let what: String
            let algorithm: RPMDigestAlgorithm
            let expected: String
            var hasher: RPMHasher?
            let note: String?
            /// The digest of the range as computed before, if it was.
            var computedHex: String? = nil
            /// What has yet to be read for this check.
            var needsBytes: Bool { computedHex == nil && hasher != nil }
        }
        func check(_ kind: RPMDigestResult.Kind, _ subject: String, _ algorithm: RPMDigestAlgorithm,
                   _ expected: String, skip: String? = nil) -> Check {
            let hasher = skip == nil ? RPMHasher(algorithm) : nil
            let label = "\(subject) \(RPMHasher.displayName(algorithm))"
            let note = skip ?? (hasher == nil ? "digest algorithm \(algorithm.name) is not supported" : nil)
            return Check(kind: kind, what: label, algorithm: algorithm, expected: expected.lowercased(),
                         hasher: hasher, note: note)
        }

        var headerChecks: [Check] = []
        if let d = signature.headerSHA256 { headerChecks.append(check(.headerSHA256, "header", .sha256, d)) }
        if let d = signature.headerSHA1 { headerChecks.append(check(.headerSHA1, "header", .sha1, d)) }
        var payloadChecks: [Check] = []
        if let d = payloadDigests.first {
            if let algo = payloadDigestAlgorithm {
                payloadChecks.append(check(.payload, "payload", algo, d))
            } else {
                payloadChecks.append(check(.payload, "payload", RPMDigestAlgorithm(rawValue: 0), d,
                                           skip: "PAYLOADDIGESTALGO is missing"))
            }
        }
        var md5Check: Check?
        if let d = signature.md5 { md5Check = check(.md5, "header+payload", .md5, d) }
        func useComputed(_ c: inout Check, start: Int) {
            let range = RPMRangeDigest(kind: c.kind, start: start, algorithm: c.algorithm)
            if c.hasher != nil, let done = computed.first(where: { $0.digest == range }) { c.computedHex = done.hex }
        }
        for i in payloadChecks.indices { useComputed(&payloadChecks[i], start: payloadOffset) }
        if md5Check != nil { useComputed(&md5Check!, start: headerOffset) }

        // One pass over header then payload; the header digests are compared as soon as the
        // header is hashed, so a damaged header fails before the payload is read.
        var results: [RPMDigestResult] = []
        func finish(_ c: Check) throws {
            guard let hasher = c.hasher else {
                results.append(RPMDigestResult(kind: c.kind, what: c.what, algorithm: c.algorithm,
                                               expected: c.expected, verified: false, note: c.note))
                return
            }
            let actual = c.computedHex ?? hasher.finalizeHex()
            guard actual == c.expected else {
                throw FormatError.digestMismatch(what: c.what, expected: c.expected, actual: actual)
            }
            results.append(RPMDigestResult(kind: c.kind, what: c.what, algorithm: c.algorithm,
                                           expected: c.expected, verified: true, note: nil))
        }
        func stream(_ range: Range<Int>, _ body: ([UInt8]) -> Void) throws {
            var offset = range.lowerBound
            while offset < range.upperBound {
                let n = min(RPMPackage.digestChunkSize, range.upperBound - offset)
                body(try reader.read(at: offset, length: n))
                offset += n
            }
        }

        try stream(headerOffset..<payloadOffset) { chunk in
            for i in headerChecks.indices { headerChecks[i].hasher?.update(chunk) }
        }
        for c in headerChecks { try finish(c) }
        // The payload digest and the MD5 (header + payload) are two passes at once, one per CPU:
        // each alone is as long as the file, and MD5 is the slower. A small package's are not
        // worth a thread's wake-up.
        let parallel = end - headerOffset >= parallelFrom
            && payloadChecks.contains(where: \.needsBytes) && md5Check?.needsBytes == true
        let (payloadHashed, md5Hashed) = try bothAtOnce(parallel: parallel, { () throws -> [Check] in
            var checks = payloadChecks
            if checks.contains(where: \.needsBytes) {
                try stream(payloadOffset..<end) { chunk in
                    for i in checks.indices where checks[i].needsBytes { checks[i].hasher?.update(chunk) }
                }
            }
            return checks
        }, { () throws -> Check? in
            var check = md5Check
            if check?.needsBytes == true {
                try stream(headerOffset..<end) { chunk in check?.hasher?.update(chunk) }
            }
            return check
        })
        for c in payloadHashed { try finish(c) }
        if let c = md5Hashed { try finish(c) }

        if let alt = payloadDigestsAlt.first {
            let algo = payloadDigestAlgorithm ?? RPMDigestAlgorithm(rawValue: 0)
            results.append(RPMDigestResult(kind: .payloadAlt, what: "uncompressed payload \(RPMHasher.displayName(algo))",
                                           algorithm: algo, expected: alt.lowercased(), verified: false,
                                           note: "covers the uncompressed payload; checked when the payload is extracted"))
        }
        return results
    }
}

/// A running digest of one of the algorithms swift-crypto provides.
public struct RPMHasher {
    private enum State {
        case md5(Insecure.MD5), sha1(Insecure.SHA1), sha256(SHA256), sha384(SHA384), sha512(SHA512)
    }
    private var state: State

    /// nil when swift-crypto has no implementation of `algorithm`.
    public init?(_ algorithm: RPMDigestAlgorithm) {
        switch algorithm {
        case .md5: state = .md5(Insecure.MD5())
        case .sha1: state = .sha1(Insecure.SHA1())
        case .sha256: state = .sha256(SHA256())
        case .sha384: state = .sha384(SHA384())
        case .sha512: state = .sha512(SHA512())
        default: return nil
        }
    }

    static func displayName(_ algorithm: RPMDigestAlgorithm) -> String {
        switch algorithm {
        case .md5: return "MD5"
        case .sha1: return "SHA-1"
        case .sha224: return "SHA-224"
        case .sha256: return "SHA-256"
        case .sha384: return "SHA-384"
        case .sha512: return "SHA-512"
        default: return algorithm.name
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .md5(var h): h.update(bufferPointer: bytes); state = .md5(h)
        case .sha1(var h): h.update(bufferPointer: bytes); state = .sha1(h)
        case .sha256(var h): h.update(bufferPointer: bytes); state = .sha256(h)
        case .sha384(var h): h.update(bufferPointer: bytes); state = .sha384(h)
        case .sha512(var h): h.update(bufferPointer: bytes); state = .sha512(h)
        }
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public func finalizeHex() -> String {
        switch state {
        case .md5(let h): return Hex.string(h.finalize())
        case .sha1(let h): return Hex.string(h.finalize())
        case .sha256(let h): return Hex.string(h.finalize())
        case .sha384(let h): return Hex.string(h.finalize())
        case .sha512(let h): return Hex.string(h.finalize())
        }
    }
}
