import Foundation

/// Renders `meta.json`: one flat JSON object with the seeds' own key names (SPEC §1).
public enum MetaDocument {
    public static func render(_ package: Package, downloadUrl: String) -> [UInt8] {
        var object = fields(package, downloadUrl: downloadUrl).mapValues { JSONValue($0) }
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

    static func fields(_ p: Package, downloadUrl: String) -> [String: Any] {
        var object: [String: Any] = [
            // OCP SoftwarePackageMeta
            "id": p.id,
            "name": p.name,
            "fileName": p.fileName,
            "extension": p.fileExtension,
            "size": p.size,
            "sha1": p.sha1,
            "downloadUrl": downloadUrl,
            "type": p.type,
            "version": p.version,
            "buildNumber": p.buildNumber,
            "operatingSystem": p.operatingSystem,
            "architecture": p.architecture,
            // pkgfs additions
            "uuid": p.uuid,
            "sha256": p.sha256,
            "format": p.format.rawValue,
            "epoch": p.epoch.map { $0 as Any } ?? NSNull(),
            "release": p.release.map { $0 as Any } ?? NSNull(),
            // Astra package resource
            "packageName": p.name,
            "packageVersion": p.version,
            "packageType": "install",
            "severityLevel": "recommended",
            "bundleName": [String](),
            "packageState": p.state.rawValue,
            "packageStateTransitions": PackageState.transitionTable.map { ["from": $0.from, "to": $0.to] },
            "packageStateDetails": p.stateDetails.map { ["type": $0.type, "title": $0.title, "detail": $0.detail] },
            "images": [Any](),
            "artifacts": [Any](),
            "files": [Any](),
            "upgradableVersions": NSNull(),
            "dependencies": [Any](),
            "metadata": [
                "labels": p.labels.map { ["name": $0.name, "value": $0.value] },
                "creationTimestamp": Timestamp.iso8601(p.createdAt),
                "modificationTimestamp": Timestamp.iso8601(p.modifiedAt),
                "createdBy": p.createdBy,
                "modifiedBy": p.modifiedBy,
            ] as [String: Any],
        ]
        if p.format == .bundle { object["type"] = PackageType.astra }
        return object
    }
}

public enum Timestamp {
    /// `2022-10-06T20:58:16.305662Z`, as in the Astra seed (microseconds, UTC).
    public static func iso8601(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let micros = Int(((seconds - Double(whole)) * 1_000_000).rounded())
        var tm = tm()
        gmtime_r(&whole, &tm)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                      Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
                      Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), min(micros, 999_999))
    }
}

/// The two API views of a package: OCP's `SoftwarePackageMeta` and the Astra package resource.
extension MetaDocument {
    /// OCP `SoftwarePackageMeta`: exactly its 12 keys.
    public static let softwarePackageMetaKeys = ["id", "name", "fileName", "extension", "size", "sha1", "downloadUrl",
                                                 "type", "version", "buildNumber", "operatingSystem", "architecture"]

    public static func softwarePackageMeta(_ package: Package, downloadUrl: String) -> [String: Any] {
        let all = fields(package, downloadUrl: downloadUrl)
        return all.filter { softwarePackageMetaKeys.contains($0.key) }
    }

    /// The Astra package resource (`application/astra-package`, version 1.0): `id` is the
    /// package's UUID; a bundle's manifest supplies its own Astra fields. Absent optional
    /// fields (`upgradableVersions` without a manifest) are left out rather than null.
    public static func astraResource(_ package: Package) -> [String: Any] {
        var all = fields(package, downloadUrl: "")
        if package.format == .bundle, let details = package.formatDetailsJSON,
           let data = details.data(using: .utf8),
           let manifest = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
            for key in astraManifestKeys { if let value = manifest[key] { all[key] = value } }
        }
        var resource: [String: Any] = ["type": "application/astra-package", "version": "1.0", "id": package.uuid]
        for key in astraResourceKeys {
            if let value = all[key], !(value is NSNull) { resource[key] = value }
        }
        return resource
    }

    static let astraResourceKeys = astraManifestKeys + ["packageState", "packageStateTransitions",
                                                        "packageStateDetails", "metadata"]
}
