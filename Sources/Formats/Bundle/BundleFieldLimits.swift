/// The limits the Astra package schema (seed `004_5e7ba9f87af49984.txt`) puts on the
/// fields of `package.json`, and the check that applies them. Every violation is a
/// `limit` problem, which makes the package `corrupt`.
public enum BundleFieldLimits {
    public static let packageName = 1...31
    public static let packageTypes = ["install", "patch"]
    public static let severityLevels = ["recommended", "critical"]
    public static let imagePath = 1...1023
    public static let imageName = 1...63
    public static let imageTag = 1...31
    public static let artifactName = 1...63
    public static let artifactIdentifier = 1...511
    public static let artifactPath = 1...1023
    public static let artifactVersion = 1...31
    public static let fileName = 1...63
    public static let fileIdentifier = 1...511
    public static let fileMediaType = 1...211
    public static let componentNames = ["acc", "acs", "trident", "kubernetes"]
    /// Largest `package.json` read (pkgfs's own bound: `files[]` inline contents make it
    /// the one member read whole into memory).
    public static let maxManifestBytes = 32 << 20

    /// Every limit violation of `manifest`, in field order. Also reports, as limits: a
    /// path that leaves the bundle (`..`), a `fileName` that is not a single file name
    /// or repeats another, `fileContents` that is not base64, and a version range whose
    /// minimum is above its maximum.
    public static func check(_ m: BundleManifest) -> [BundleProblem] {
        var c = BundleFieldCheck()
        if let id = m.id { c.uuid(id, "id") }
        c.length(m.packageName, "packageName", packageName)
        c.version(m.packageVersion, "packageVersion", .package)
        c.oneOf(m.packageType, "packageType", packageTypes)
        c.oneOf(m.severityLevel, "severityLevel", severityLevels)

        for (i, image) in (m.images ?? []).enumerated() {
            let f = "images[\(i)]"
            c.length(image.imagePath, "\(f).imagePath", imagePath)
            c.length(image.imageName, "\(f).imageName", imageName)
            c.length(image.imageTag, "\(f).imageTag", imageTag)
            c.digest(image.imageDigest, "\(f).imageDigest")
            if BundleLayout.imageCandidates(image).isEmpty {
                c.fail(f, "\(f) points outside the bundle",
                       "image \(image.reference) at imagePath \(c.quote(image.imagePath)) has a '..' component; images must lie inside the bundle")
            }
            for (j, dep) in (image.dependsOnImages ?? []).enumerated() {
                let g = "\(f).dependsOnImages[\(j)]"
                c.length(dep.imagePath, "\(g).imagePath", imagePath)
                c.length(dep.imageName, "\(g).imageName", imageName)
                c.length(dep.imageTag, "\(g).imageTag", imageTag)
            }
        }

        for (i, a) in (m.artifacts ?? []).enumerated() {
            let f = "artifacts[\(i)]"
            c.length(a.artifactName, "\(f).artifactName", artifactName)
            c.length(a.artifactIdentifier, "\(f).artifactIdentifier", artifactIdentifier)
            c.length(a.artifactPath, "\(f).artifactPath", artifactPath)
            if let v = a.artifactVersion {
                c.length(v, "\(f).artifactVersion", artifactVersion)
                c.version(v, "\(f).artifactVersion", .package)
            }
            if let d = a.artifactDigest { c.digest(d, "\(f).artifactDigest") }
            if BundleLayout.artifactCandidates(a).isEmpty {
                c.fail(f, "\(f) points outside the bundle",
                       "artifact \(c.quote(a.artifactName)) at artifactPath \(c.quote(a.artifactPath)) has a '..' component; artifacts must lie inside the bundle")
            }
            for (j, dep) in (a.dependsOnComponents ?? []).enumerated() {
                let g = "\(f).dependsOnComponents[\(j)]"
                c.oneOf(dep.componentName, "\(g).componentName", componentNames)
                for (k, v) in dep.version.enumerated() {
                    c.version(v, "\(g).version[\(k)]", .component)
                }
            }
        }

        var seenNames: [String: Int] = [:]
        for (i, file) in (m.files ?? []).enumerated() {
            let f = "files[\(i)]"
            c.length(file.fileName, "\(f).fileName", fileName)
            c.plainName(file.fileName, "\(f).fileName")
            if let first = seenNames[file.fileName] {
                c.fail("\(f).fileName", "\(f).fileName is a duplicate",
                       "\(f).fileName \(c.quote(file.fileName)) repeats files[\(first)].fileName; each file needs its own name")
            } else {
                seenNames[file.fileName] = i
            }
            c.length(file.fileIdentifier, "\(f).fileIdentifier", fileIdentifier)
            c.length(file.fileMediaType, "\(f).fileMediaType", fileMediaType)
            do {
                _ = try BundleBase64.decode(file.fileContents)
            } catch {
                c.fail("\(f).fileContents", "\(f).fileContents is not base64",
                       "fileContents of \(c.quote(file.fileName)) is not valid base64: \(error.description)")
            }
        }

        if let u = m.upgradableVersions {
            let low = u.minVersion.flatMap { c.version($0, "upgradableVersions.minVersion", .package) }
            let high = u.maxVersion.flatMap { c.version($0, "upgradableVersions.maxVersion", .package) }
            c.ordered(low, high, lowField: "upgradableVersions.minVersion",
                      highField: "upgradableVersions.maxVersion",
                      lowText: u.minVersion, highText: u.maxVersion)
        }

        for (i, d) in (m.dependencies ?? []).enumerated() {
            let f = "dependencies[\(i)]"
            c.oneOf(d.componentName, "\(f).componentName", componentNames)
            let low = d.componentMinVersion.flatMap { c.version($0, "\(f).componentMinVersion", .component) }
            let high = d.componentMaxVersion.flatMap { c.version($0, "\(f).componentMaxVersion", .component) }
            c.ordered(low, high, lowField: "\(f).componentMinVersion",
                      highField: "\(f).componentMaxVersion",
                      lowText: d.componentMinVersion, highText: d.componentMaxVersion)
        }
        return c.problems
    }
}
