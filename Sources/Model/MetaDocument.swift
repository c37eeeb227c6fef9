import Foundation

/// Renders `meta.json`: one flat JSON object with the seeds' own key names (SPEC §1).
public enum MetaDocument {
    public static func render(_ package: Package, downloadUrl: String) -> [UInt8] {
        var object = fields(package, downloadUrl: downloadUrl)
        if let details = package.formatDetailsJSON, let parsed = JSONValue.parse(details) {
            object[package.format.rawValue] = parsed
            // A bundle's manifest *is* the Astra resource: its fields are the top-level ones.
            if package.format == .bundle {
                for key in astraManifestKeys { if let value = parsed[key] { object[key] = value } }
            }
        }
        return JSONValue.object(object.map { (key: $0.key, value: $0.value) }).prettyPrinted() + [0x0A]
    }

    static let astraManifestKeys = ["packageName", "packageVersion", "packageType", "severityLevel", "bundleName",
                                    "images", "artifacts", "files", "upgradableVersions", "dependencies"]

    static func fields(_ p: Package, downloadUrl: String) -> [String: JSONValue] {
        func text(_ s: String) -> JSONValue { .string(s) }
        func texts(_ list: [String]) -> JSONValue { .array(list.map(JSONValue.string)) }
        func object(_ members: KeyValuePairs<String, JSONValue>) -> JSONValue {
            .object(members.map { (key: $0.key, value: $0.value) })
        }
        var fields: [String: JSONValue] = [
            // OCP SoftwarePackageMeta
            "id": .number(String(p.id)),
            "name": text(p.name),
            "fileName": text(p.fileName),
            "extension": text(p.fileExtension),
            "size": .number(String(p.size)),
            "sha1": text(p.sha1),
            "downloadUrl": text(downloadUrl),
            "type": text(p.format == .bundle ? PackageType.astra : p.type),
            "version": text(p.version),
            "buildNumber": text(p.buildNumber),
            "operatingSystem": text(p.operatingSystem),
            "architecture": text(p.architecture),
            // pkgfs additions
            "uuid": text(p.uuid),
            "sha256": text(p.sha256),
            "format": text(p.format.rawValue),
            "epoch": p.epoch.map { .number(String($0)) } ?? .null,
            "release": p.release.map(JSONValue.string) ?? .null,
            // Astra package resource
            "packageName": text(p.name),
            "packageVersion": text(p.version),
            "packageType": "install",
            "severityLevel": "recommended",
            "bundleName": .array([]),
            "packageState": text(p.state.rawValue),
            "packageStateTransitions": .array(PackageState.transitionTable.map {
                object(["from": text($0.from), "to": texts($0.to)])
            }),
            "packageStateDetails": .array(p.stateDetails.map {
                object(["type": text($0.type), "title": text($0.title), "detail": text($0.detail)])
            }),
            "images": .array([]),
            "artifacts": .array([]),
            "files": .array([]),
            "upgradableVersions": .null,
            "dependencies": .array([]),
        ]
        fields["metadata"] = object([
            "labels": .array(p.labels.map { object(["name": text($0.name), "value": text($0.value)]) }),
            "creationTimestamp": text(Timestamp.iso8601(p.createdAt)),
            "modificationTimestamp": text(Timestamp.iso8601(p.modifiedAt)),
            "createdBy": text(p.createdBy),
            "modifiedBy": text(p.modifiedBy),
        ])
        return fields
    }
}

public enum Timestamp {
    /// `2022-10-06T20:58:16.305662Z`, as in the Astra seed (microseconds, UTC).
    public static func iso8601(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let micros = min(Int(((seconds - Double(whole)) * 1_000_000).rounded()), 999_999)
        var tm = tm()
        gmtime_r(&whole, &tm)
        let year = Int(tm.tm_year) + 1900
        guard (0...9999).contains(year) else {
            return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", year, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
                          Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), micros)
        }
        // By hand: String(format:) was a tenth of rendering a meta.json, which a first `find`
        // does once per package.
        let fields = [(year, 4, "-"), (Int(tm.tm_mon) + 1, 2, "-"), (Int(tm.tm_mday), 2, "T"), (Int(tm.tm_hour), 2, ":"),
                      (Int(tm.tm_min), 2, ":"), (Int(tm.tm_sec), 2, "."), (micros, 6, "Z")] as [(Int, Int, Unicode.Scalar)]
        return String(unsafeUninitializedCapacity: 27) { buffer in
            var at = 0
            for (value, width, separator) in fields {
                var rest = value
                for position in stride(from: at + width - 1, through: at, by: -1) {
                    buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                buffer[at + width] = UInt8(ascii: separator)
                at += width + 1
            }
            return at
        }
    }
}

/// The two API views of a package: OCP's `SoftwarePackageMeta` and the Astra package resource.
extension MetaDocument {
    /// OCP `SoftwarePackageMeta`: exactly its 12 keys.
    public static let softwarePackageMetaKeys = ["id", "name", "fileName", "extension", "size", "sha1", "downloadUrl",
                                                 "type", "version", "buildNumber", "operatingSystem", "architecture"]

    public static func softwarePackageMeta(_ package: Package, downloadUrl: String) -> [String: Any] {
        let all = fields(package, downloadUrl: downloadUrl)
        return all.filter { softwarePackageMetaKeys.contains($0.key) }.mapValues(\.foundationObject)
    }

    /// The Astra package resource (`application/astra-package`, version 1.0): `id` is the
    /// package's UUID; a bundle's manifest supplies its own Astra fields. Absent optional
    /// fields (`upgradableVersions` without a manifest) are left out rather than null.
    public static func astraResource(_ package: Package) -> JSONValue {
        var all = fields(package, downloadUrl: "")
        if package.format == .bundle, let details = package.formatDetailsJSON, let manifest = JSONValue.parse(details) {
            for key in astraManifestKeys { if let value = manifest[key] { all[key] = value } }
        }
        var resource: [(key: String, value: JSONValue)] = [
            ("type", "application/astra-package"), ("version", "1.0"), ("id", .string(package.uuid)),
        ]
        for key in astraResourceKeys {
            if let value = all[key], value != .null { resource.append((key, value)) }
        }
        return .object(resource)
    }

    static let astraResourceKeys = astraManifestKeys + ["packageState", "packageStateTransitions",
                                                        "packageStateDetails", "metadata"]
}
