import PkgfsModel

/// What a version string in `package.json` must look like. The seed says "SemVer" for
/// every version field, but its own example is not strict SemVer 2.0.0: `packageVersion`
/// `22.09.1` has a leading zero, and the dependency versions `v1.19.7` / `v1.20` have a
/// `v` and (the latter) only two numbers. pkgfs accepts what the seed's example uses and
/// nothing looser:
///
/// - ``package`` (`packageVersion`, `upgradableVersions.minVersion/maxVersion`,
///   `artifactVersion`): SemVer 2.0.0 with exactly three core numbers, except that leading
///   zeros in those core numbers are tolerated and ignored (`22.09.1` is `22.9.1`). **No
///   leading `v`**: the package's own version names the bundle in the tree and orders it,
///   so one spelling per version.
/// - ``component`` (`dependencies[].componentMinVersion/componentMaxVersion`,
///   `dependsOnComponents[].version`): versions of other software (Kubernetes, Trident)
///   as their projects tag them: additionally one leading `v` or `V`, and two core
///   numbers (`v1.20` is `1.20.0`).
///
/// In both, pre-release and build metadata stay strict (`1.0.0-rc.1+b5`; `1.0.0-01` is
/// rejected), and the result is checked by the strict `SemVer(_:)` parser. The parsed
/// value orders exactly like `VersionOrder.semverCompare`.
public enum BundleVersionRule: Sendable {
    case package
    case component

    /// The version `text` denotes under this rule, or nil when it does not follow it.
    public func semVer(_ text: String) -> SemVer? {
        var body = Substring(text)
        if self == .component, let first = body.first, first == "v" || first == "V" {
            body = body.dropFirst()
        }
        let coreEnd = body.firstIndex(where: { $0 == "-" || $0 == "+" }) ?? body.endIndex
        let rest = body[coreEnd...]
        let parts = body[..<coreEnd].split(separator: ".", omittingEmptySubsequences: false)
        let allowed = self == .package ? 3...3 : 2...3
        guard allowed.contains(parts.count) else { return nil }
        var numbers: [String] = []
        for part in parts {
            guard !part.isEmpty, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            let trimmed = part.drop(while: { $0 == "0" })
            numbers.append(trimmed.isEmpty ? "0" : String(trimmed))
        }
        while numbers.count < 3 { numbers.append("0") }
        return SemVer(numbers.joined(separator: ".") + rest)
    }

    /// How the rule reads, for problem details.
    public var summary: String {
        switch self {
        case .package:
            return "SemVer MAJOR.MINOR.PATCH with optional -prerelease and +build (leading zeros such as 22.09.1 tolerated, no leading 'v')"
        case .component:
            return "SemVer with an optional leading 'v' and MAJOR.MINOR or MAJOR.MINOR.PATCH (e.g. v1.19.7, v1.20)"
        }
    }
}
