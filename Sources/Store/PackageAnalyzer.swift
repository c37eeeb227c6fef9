import Foundation
import PkgfsFormats
import PkgfsModel

/// What the bytes and the name of an upload say about it.
public struct Analysis: Sendable {
    public var name: String
    public var version: String
    public var buildNumber: String
    public var operatingSystem: String
    public var architecture: String
    public var fileExtension: String
    public var format: PackageFormat
    public var epoch: Int?
    public var release: String?
    public var problems: [StateDetail] = []
    /// The state when there are problems: `corrupt`, or `incomplete` for bundles missing parts.
    public var failureState: PackageState = .corrupt
    /// Format-specific data for meta.json (under the key named by `format`).
    public var formatDetailsJSON: String?
    /// The payload tree (`files/`), listed once at upload so browsing never decompresses.
    public var payload: [PayloadEntry]?
    public var payloadContainer: PayloadContainer?

    public var state: PackageState { problems.isEmpty ? .available : failureState }

    mutating func problem(_ type: String, _ title: String, _ detail: String) {
        problems.append(StateDetail(type: type, title: title, detail: detail))
    }
}

/// Reads a stored upload and decides what it is. Never throws: whatever goes wrong
/// becomes a `packageStateDetails` entry and the package is filed by what its name tells.
public struct PackageAnalyzer: Sendable {
    public var payloadLimits = PayloadLimits.default

    public init() {}

    /// What the file name alone tells: the start of every analysis.
    private static func named(_ fileName: String) -> Analysis {
        let fields = FileNameConvention.parse(fileName)
        return Analysis(
            name: fields.name.isEmpty ? fileName : fields.name,
            version: fields.version ?? PathComponent.unknown,
            buildNumber: fields.buildNumber ?? "",
            operatingSystem: fields.operatingSystem ?? PathComponent.unknown,
            architecture: fields.architecture ?? PathComponent.unknown,
            fileExtension: fields.fileExtension,
            format: .file)
    }

    /// What the first look at an upload found (`firstLook`).
    public enum FirstLook {
        /// A bundle, filed as `analyze` would file it.
        case bundle(Analysis)
        /// A tar without a root `package.json`, with its listing when it could be made: `analyze`
        /// need not look for one again, nor list the tar again (for a compressed tar each pass
        /// decompresses the whole file).
        case notBundle(listing: [PayloadEntry]?)
        /// Anything else; `analyze` alone decides.
        case undecided

        var isNotBundle: Bool {
            if case .notBundle = self { return true }
            return false
        }

        var listing: [PayloadEntry]? {
            if case .notBundle(let listing) = self { return listing }
            return nil
        }
    }

    /// The cheap first look at a bundle (SPEC §5 `verifying`): reads the tar only up to
    /// `package.json` and decodes it, nothing hashed; a tar without one is listed on the way
    /// (`.notBundle` carries the listing for `analyze`). A bundle comes back with
    /// what decides the package's place in the tree, exactly as `analyze` would file it (name
    /// and version from the manifest, the rest from the file name), with no problems and no
    /// payload; `analyze` does the verification. Not plainly a bundle: not a tar, named like
    /// another format, no readable root `package.json` (absent, a hard link, too large, not
    /// JSON); `analyze` alone decides those.
    public func firstLook(path: String, fileName: String, size: Int64) -> FirstLook {
        var analysis = Self.named(fileName)
        guard size > 0, let sniffed = try? Sniffed(path: path), sniffed.format == .archive,
              sniffed.container == .tar else { return .undecided }
        if let claimed = Sniffed.formatClaimed(byExtension: analysis.fileExtension), claimed != sniffed.format {
            return .undecided
        }
        // One pass lists a plain tar and stops early at a bundle's package.json. A tar it cannot
        // list may still hold one further on: the scan for package.json alone decides then.
        if let listing = try? listTarUnlessBundle(path: path, limits: payloadLimits) {
            return .notBundle(listing: listing)
        }
        let member = BundleVerifier.identifyMember(path: path)
        guard member.found else { return .notBundle(listing: nil) }
        guard let manifest = member.manifest else { return .undecided }
        analysis.format = .bundle
        analysis.name = manifest.packageName
        analysis.version = manifest.packageVersion
        analysis.formatDetailsJSON = JSONText.encode(manifest)
        return .bundle(analysis)
    }

    /// `after`: what `firstLook` found; `.notBundle` spares the look for a root `package.json`
    /// and, with its listing, the listing of the tar. `computed`: an RPM's range digests as
    /// computed while the upload streamed in (`InlineDigests`), which spares reading it back.
    public func analyze(path: String, fileName: String, size: Int64, after look: FirstLook = .undecided,
                        computed: [RPMComputedDigest] = []) -> Analysis {
        let fields = FileNameConvention.parse(fileName)
        var analysis = Self.named(fileName)
        if size == 0 {
            analysis.problem("empty", "Empty upload", "\(fileName) has no bytes; upload the whole file again")
            return analysis
        }
        let sniffed: Sniffed
        do {
            sniffed = try Sniffed(path: path)
        } catch {
            analysis.problem("io", "Unreadable upload", "\(error)")
            return analysis
        }
        analysis.format = sniffed.format
        if let claimed = Sniffed.formatClaimed(byExtension: fields.fileExtension), claimed != sniffed.format {
            analysis.problem("format", "Content does not match the file name",
                             "\(fileName) is named like \([.archive, .rpm].contains(claimed) ? "an" : "a") \(claimed.rawValue) file but its bytes are \(sniffed.describe)")
        }
        switch sniffed.format {
        case .rpm: analyzeRPM(path: path, computed: computed, into: &analysis)
        case .deb: analyzeDeb(path: path, into: &analysis)
        case .archive where sniffed.container == .tar && !look.isNotBundle && BundleVerifier.isBundle(path: path):
            analyzeBundle(path: path, into: &analysis)
        case .archive:
            var listed = analysis
            analyzeArchive(path: path, container: sniffed.container, listed: look.listing, into: &listed)
            // A compressed file not named as an archive (`x.gz`, `x.bin`) that does not list
            // as one is simply a file.
            if listed.payload != nil || Sniffed.formatClaimed(byExtension: fields.fileExtension) != nil {
                analysis = listed
            } else {
                analysis.format = .file
            }
        case .bundle, .file: break
        }
        return analysis
    }

    /// The header wins over the name (SPEC §1): VERSION, RELEASE split at its last dot
    /// into buildNumber and operatingSystem, ARCH (`src` for source packages).
    private func analyzeRPM(path: String, computed: [RPMComputedDigest], into analysis: inout Analysis) {
        let reader: FileBytes
        let rpm: RPMPackage
        do {
            reader = try FileBytes(path: path)
            rpm = try RPMPackage(reader: reader)
        } catch {
            analysis.problem("rpm", "Not a readable RPM", "\(error)")
            return
        }
        analysis.name = rpm.name
        analysis.version = rpm.version
        analysis.epoch = rpm.epoch
        analysis.release = rpm.release
        if let dot = rpm.release.lastIndex(of: "."), dot != rpm.release.startIndex {
            analysis.buildNumber = String(rpm.release[..<dot])
            analysis.operatingSystem = String(rpm.release[rpm.release.index(after: dot)...])
        } else {
            analysis.buildNumber = rpm.release
        }
        analysis.architecture = rpm.isSource ? "src" : (rpm.arch ?? analysis.architecture)
        analysis.formatDetailsJSON = JSONText.encode(rpm)
        var digests: [RPMDigestResult] = []
        do {
            digests = try rpm.verifyDigests(reader: reader, computed: computed)
        } catch {
            analysis.problem("digest", "RPM digest check failed", "\(error)")
        }
        // With the payload's bytes vouched for by a digest, the header's file list is the
        // payload's listing: no decompression of what may be gigabytes of xz at upload.
        let payloadVerified = digests.contains { ($0.kind == .payload || $0.kind == .md5) && $0.verified }
        if payloadVerified && rpm.listsPayloadFromHeader,
           let listing = try? rpm.payloadListing(limits: payloadLimits),
           payloadStarts(path: path, container: .rpm, as: listing) {
            analysis.payload = listing
            analysis.payloadContainer = .rpm
        } else {
            listPayload(path: path, container: .rpm, into: &analysis)
        }
    }

    private func analyzeDeb(path: String, into analysis: inout Analysis) {
        let deb: DebPackage
        do {
            deb = try DebPackage.parse(path: path)
        } catch {
            analysis.problem("deb", "Not a readable Debian package", "\(error)")
            return
        }
        analysis.name = deb.package
        analysis.version = deb.version
        analysis.epoch = deb.parsedVersion.epoch
        analysis.release = deb.parsedVersion.revision
        analysis.buildNumber = deb.parsedVersion.revision ?? ""
        analysis.architecture = deb.architecture ?? analysis.architecture
        analysis.formatDetailsJSON = JSONText.encode(deb)
        listPayload(path: path, container: .debData, into: &analysis)
    }

    /// An Astra bundle (SPEC §5): the manifest names the package; every missing part makes it
    /// `incomplete`, every digest mismatch or broken limit `corrupt`, one detail per problem.
    private func analyzeBundle(path: String, into analysis: inout Analysis) {
        let verification = BundleVerifier.verify(path: path, limits: payloadLimits)
        analysis.format = .bundle
        if let manifest = verification.manifest {
            analysis.name = manifest.packageName
            analysis.version = manifest.packageVersion
            analysis.formatDetailsJSON = JSONText.encode(manifest)
        }
        analysis.problems += verification.details
        if verification.state != .available { analysis.failureState = verification.state }
        analysis.payload = verification.entries
        analysis.payloadContainer = verification.entries == nil ? nil : .tar
    }

    private func analyzeArchive(path: String, container: PayloadContainer, listed: [PayloadEntry]?,
                                into analysis: inout Analysis) {
        if let listed, container == .tar {
            analysis.payload = listed
            analysis.payloadContainer = container
        } else {
            listPayload(path: path, container: container, into: &analysis)
        }
        if let entries = analysis.payload {
            analysis.formatDetailsJSON = JSONText.encode(ArchiveDetails(container: container.rawValue, entries: entries.count))
        }
    }

    private func listPayload(path: String, container: PayloadContainer, into analysis: inout Analysis) {
        do {
            analysis.payload = try PkgfsFormats.listPayload(path: path, container: container, limits: payloadLimits)
            analysis.payloadContainer = container
        } catch {
            analysis.problem("payload", "Payload cannot be listed", "\(error)")
        }
    }
}

struct ArchiveDetails: Codable {
    var container: String
    var entries: Int
}

/// The format told by the first bytes of a file.
struct Sniffed {
    let format: PackageFormat
    let container: PayloadContainer
    let describe: String

    /// How many first bytes `init(head:)` looks at.
    static let headLength = 512

    init(path: String) throws {
        let reader = try FileBytes(path: path)
        self.init(head: try reader.read(at: 0, length: min(reader.count, Self.headLength)))
    }

    init(head: [UInt8]) {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<(offset + magic.count)]) == magic
        }
        if starts([0xED, 0xAB, 0xEE, 0xDB]) {
            (format, container, describe) = (.rpm, .rpm, "an RPM")
        } else if starts(Array("!<arch>\ndebian-binary".utf8)) {
            (format, container, describe) = (.deb, .debData, "a Debian package")
        } else if starts([0x50, 0x4B, 0x03, 0x04]) {
            (format, container, describe) = (.archive, .zip, "a zip archive")
        } else if starts([0x1F, 0x8B]) || starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])
                    || starts([0x28, 0xB5, 0x2F, 0xFD]) || starts(Array("BZh".utf8))
                    || starts(Array("ustar".utf8), at: 257) {
            (format, container, describe) = (.archive, .tar, "a tar archive")
        } else {
            (format, container, describe) = (.file, .tar, "not a known package format (first bytes \(Hex.string(head.prefix(8))))")
        }
    }

    static func formatClaimed(byExtension ext: String) -> PackageFormat? {
        switch ext.lowercased() {
        case "rpm": return .rpm
        case "deb": return .deb
        case "tar", "tar.gz", "tgz", "tar.xz", "txz", "tar.zst", "tar.bz2", "tbz2", "zip": return .archive
        default: return nil
        }
    }
}
