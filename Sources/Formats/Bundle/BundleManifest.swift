import Foundation

/// `package.json` at the root of an Astra bundle: the fields of the Astra Package API
/// resource (seed `004_5e7ba9f87af49984.txt`) that describe what the bundle holds.
///
/// Required by the seed, and therefore required here (a missing one makes the manifest
/// unreadable): `packageName`, `packageVersion`, `packageType`. `severityLevel` is
/// required by the seed but has a documented default, so an absent one decodes as
/// `"recommended"`. Everything else is optional. Keys this type does not know
/// (`type`, `version`, `packageState`, `metadata`, …) are ignored: the server, here
/// pkgfs, owns those.
///
/// Enumerated strings (`packageType`, `severityLevel`, `componentName`) are kept as
/// strings so that a value outside the seed's set is reported by `BundleVerifier` as a
/// limit violation naming the field, instead of failing the whole decode.
public struct BundleManifest: Sendable, Codable, Equatable {
    /// Astra's resource `id` (a UUID) when the bundle carries one.
    public var id: String?
    /// 1 to 31 characters, e.g. `acc`, `acs`, `trident`.
    public var packageName: String
    /// SemVer; see `BundleVersionRule.package` for what is tolerated.
    public var packageVersion: String
    /// `install` or `patch`.
    public var packageType: String
    /// `recommended` (the default) or `critical`.
    public var severityLevel: String
    public var bundleName: [String]?
    public var images: [BundleImage]?
    public var artifacts: [BundleArtifact]?
    public var files: [BundleFile]?
    public var upgradableVersions: BundleUpgradableVersions?
    public var dependencies: [BundleDependency]?

    /// The seed's default `severityLevel`.
    public static let defaultSeverityLevel = "recommended"

    public init(id: String? = nil, packageName: String, packageVersion: String,
                packageType: String, severityLevel: String = BundleManifest.defaultSeverityLevel,
                bundleName: [String]? = nil, images: [BundleImage]? = nil,
                artifacts: [BundleArtifact]? = nil, files: [BundleFile]? = nil,
                upgradableVersions: BundleUpgradableVersions? = nil,
                dependencies: [BundleDependency]? = nil) {
        self.id = id
        self.packageName = packageName
        self.packageVersion = packageVersion
        self.packageType = packageType
        self.severityLevel = severityLevel
        self.bundleName = bundleName
        self.images = images
        self.artifacts = artifacts
        self.files = files
        self.upgradableVersions = upgradableVersions
        self.dependencies = dependencies
    }

    enum CodingKeys: String, CodingKey {
        case id, packageName, packageVersion, packageType, severityLevel, bundleName
        case images, artifacts, files, upgradableVersions, dependencies
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        packageName = try c.decode(String.self, forKey: .packageName)
        packageVersion = try c.decode(String.self, forKey: .packageVersion)
        packageType = try c.decode(String.self, forKey: .packageType)
        severityLevel = try c.decodeIfPresent(String.self, forKey: .severityLevel)
            ?? BundleManifest.defaultSeverityLevel
        bundleName = try c.decodeIfPresent([String].self, forKey: .bundleName)
        images = try c.decodeIfPresent([BundleImage].self, forKey: .images)
        artifacts = try c.decodeIfPresent([BundleArtifact].self, forKey: .artifacts)
        files = try c.decodeIfPresent([BundleFile].self, forKey: .files)
        upgradableVersions = try c.decodeIfPresent(BundleUpgradableVersions.self, forKey: .upgradableVersions)
        dependencies = try c.decodeIfPresent([BundleDependency].self, forKey: .dependencies)
    }

    /// Decodes `package.json` bytes (UTF-8, or UTF-16/32 with a BOM).
    /// Throws `FormatError.invalid(format: "package.json", reason:)` naming the problem:
    /// not JSON (with the parser's message), not an object, a required field missing, or a
    /// field of the wrong JSON type, with its path (`images[1].imageDigest`).
    public static func decode(_ bytes: [UInt8]) throws -> BundleManifest {
        do {
            return try JSONDecoder().decode(BundleManifest.self, from: Data(bytes))
        } catch let error as DecodingError {
            if case let .dataCorrupted(context) = error, context.codingPath.isEmpty {
                throw FormatError.invalid(format: "package.json", reason: BundleManifest.syntaxError(bytes))
            }
            throw FormatError.invalid(format: "package.json", reason: BundleManifest.explain(error))
        } catch {
            throw FormatError.invalid(format: "package.json", reason: "\(error)")
        }
    }

    static func explain(_ error: DecodingError) -> String {
        switch error {
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                return "not valid JSON: \(context.debugDescription)"
            }
            return "field '\(fieldPath(context.codingPath))' is invalid: \(context.debugDescription)"
        case let .keyNotFound(key, context):
            return "required field '\(fieldPath(context.codingPath + [key]))' is missing"
        case let .typeMismatch(type, context):
            if context.codingPath.isEmpty {
                return "the top level must be a JSON object (\(context.debugDescription))"
            }
            return "field '\(fieldPath(context.codingPath))' must be \(jsonType(type)) (\(context.debugDescription))"
        case let .valueNotFound(type, context):
            return "field '\(fieldPath(context.codingPath))' is null but must be \(jsonType(type))"
        @unknown default:
            return "\(error)"
        }
    }

    /// "not valid JSON: <what and where>". JSONDecoder only says "not valid JSON";
    /// JSONSerialization names the fault and its byte offset, given here as line and
    /// column too.
    static func syntaxError(_ bytes: [UInt8]) -> String {
        var reason = "not valid JSON"
        do {
            _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            return reason
        } catch {
            guard let message = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String else {
                return reason
            }
            reason += ": " + message
            if let range = message.range(of: "character "),
               let offset = Int(message[range.upperBound...].prefix(while: \.isNumber)),
               offset <= bytes.count {
                let before = bytes[..<offset]
                let line = before.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
                let column = offset - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
                reason += " (line \(line), column \(column))"
            }
            return reason
        }
    }

    /// `images[1].imageDigest` for a coding path.
    static func fieldPath(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let i = key.intValue {
                out += "[\(i)]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out.isEmpty ? "(top level)" : out
    }

    private static func jsonType(_ type: Any.Type) -> String {
        if type == String.self { return "a string" }
        if type is any Collection.Type { return "an array" }
        if type == Bool.self { return "a boolean" }
        if type == Int.self || type == Double.self { return "a number" }
        return "an object"
    }
}
