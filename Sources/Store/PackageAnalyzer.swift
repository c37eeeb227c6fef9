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
    /// `corrupt` when set and there are problems; `incomplete` for bundles missing parts.
    public var failureState: PackageState = .corrupt
    public var formatDetailsJSON: String?

    public var state: PackageState { problems.isEmpty ? .available : failureState }
}

/// Reads a stored upload and decides what it is. Never throws: whatever goes wrong
/// becomes a `packageStateDetails` entry and the package is filed by its name.
public struct PackageAnalyzer: Sendable {
    public init() {}

    public func analyze(path: String, fileName: String, size: Int64) -> Analysis {
        let fields = FileNameConvention.parse(fileName)
        var analysis = Analysis(
            name: fields.name.isEmpty ? fileName : fields.name,
            version: fields.version ?? PathComponent.unknown,
            buildNumber: fields.buildNumber ?? "",
            operatingSystem: fields.operatingSystem ?? PathComponent.unknown,
            architecture: fields.architecture ?? PathComponent.unknown,
            fileExtension: fields.fileExtension,
            format: .file)
        if size == 0 {
            analysis.problems.append(StateDetail(type: "empty", title: "Empty upload",
                                                 detail: "\(fileName) has no bytes; upload the whole file again"))
            return analysis
        }
        let sniffed: Sniffed
        do {
            sniffed = try Sniffed(path: path)
        } catch {
            analysis.problems.append(StateDetail(type: "io", title: "Unreadable upload", detail: "\(error)"))
            return analysis
        }
        analysis.format = sniffed.format
        if let claimed = Sniffed.formatClaimed(byExtension: fields.fileExtension), claimed != sniffed.format,
           !(claimed == .archive && sniffed.format == .bundle) {
            analysis.problems.append(StateDetail(
                type: "format", title: "Content does not match the file name",
                detail: "\(fileName) is named like a \(claimed.rawValue) file but its bytes are \(sniffed.describe)"))
        }
        return analysis
    }
}

/// The format told by the first bytes of a file.
struct Sniffed {
    let format: PackageFormat
    let describe: String

    init(path: String) throws {
        let reader = try FileBytes(path: path)
        let head = try reader.read(at: 0, length: min(reader.count, 512))
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<(offset + magic.count)]) == magic
        }
        if starts([0xED, 0xAB, 0xEE, 0xDB]) {
            (format, describe) = (.rpm, "an RPM")
        } else if starts(Array("!<arch>\ndebian-binary".utf8)) {
            (format, describe) = (.deb, "a Debian package")
        } else if starts([0x1F, 0x8B]) || starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])
                    || starts([0x28, 0xB5, 0x2F, 0xFD]) || starts(Array("BZh".utf8))
                    || starts(Array("ustar".utf8), at: 257) || starts([0x50, 0x4B, 0x03, 0x04]) {
            (format, describe) = (.archive, "an archive")
        } else {
            (format, describe) = (.file, "not a known package format (first bytes \(Hex.string(head.prefix(8))))")
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
