/// One dependency of a package: an entry of REQUIRENAME/REQUIREFLAGS/REQUIREVERSION or of the
/// matching provide, conflict, obsolete and weak-dependency tag triples.
public struct RPMDependency: Sendable, Equatable, Hashable, Codable {
    /// The capability, e.g. `bash`, `libc.so.6()(64bit)`, `rpmlib(PayloadIsZstd)`.
    public let name: String
    /// Raw `rpmsenseFlags`.
    public let flags: UInt32
    /// The comparison, as rpm's `:depflags` prints it: "", "<", ">", "=", "<=", ">=".
    public let comparison: String
    /// The `[epoch:]version[-release]` compared against; "" when unversioned.
    public let version: String
    /// The dependency's kinds, as rpm's `:deptype` prints them: "manual" when none, else some of
    /// pre, post, preun, postun, verify, interp, rpmlib, auto, prereq, pretrans, posttrans,
    /// config, missingok, meta.
    public let types: [String]

    private enum CodingKeys: String, CodingKey {
        case name, flags, comparison, version, types
    }

    public init(name: String, flags: UInt32, version: String) {
        self.name = name
        self.flags = flags
        self.version = version
        self.comparison = RPMDependency.comparison(flags)
        self.types = RPMDependency.types(flags)
    }

    /// An `rpmlib(...)` feature dependency.
    public var isRpmlib: Bool { flags & RPMSense.rpmlib != 0 }
    /// Needed before the package's %pre scriptlet (or marked PreReq).
    public var isPre: Bool { flags & (RPMSense.scriptPre | RPMSense.prereq) != 0 }

    /// `name`, or `name op version` as rpm prints dependencies.
    public var text: String {
        comparison.isEmpty || version.isEmpty ? name : "\(name) \(comparison) \(version)"
    }

    /// rpm's `depflagsFormat`.
    public static func comparison(_ flags: UInt32) -> String {
        var s = ""
        if flags & RPMSense.less != 0 { s += "<" }
        if flags & RPMSense.greater != 0 { s += ">" }
        if flags & RPMSense.equal != 0 { s += "=" }
        return s
    }

    /// rpm's `deptypeFormat`, split at its commas.
    public static func types(_ flags: UInt32) -> [String] {
        let table: [(UInt32, String)] = [
            (RPMSense.scriptPre, "pre"), (RPMSense.scriptPost, "post"),
            (RPMSense.scriptPreun, "preun"), (RPMSense.scriptPostun, "postun"),
            (RPMSense.scriptVerify, "verify"), (RPMSense.interp, "interp"),
            (RPMSense.rpmlib, "rpmlib"), (RPMSense.findRequires | RPMSense.findProvides, "auto"),
            (RPMSense.prereq, "prereq"), (RPMSense.pretrans, "pretrans"),
            (RPMSense.posttrans, "posttrans"), (RPMSense.config, "config"),
            (RPMSense.missingOK, "missingok"), (RPMSense.meta, "meta"),
        ]
        let out = table.filter { flags & $0.0 != 0 }.map(\.1)
        return out.isEmpty ? ["manual"] : out
    }

    /// Builds the dependencies of one kind from a header's NAME/FLAGS/VERSION triple.
    /// FLAGS and VERSION may be absent (unversioned); when present they must have one item per
    /// name.
    static func list(from header: RPMHeader, name: UInt32, flags: UInt32, version: UInt32) throws -> [RPMDependency] {
        guard let names = try header.strings(name) else {
            for other in [flags, version] where header.contains(other) {
                throw FormatError.invalid(format: "RPM", reason: "header: \(rpmTagLabel(other)) present without \(rpmTagLabel(name))")
            }
            return []
        }
        let flagValues = try header.integers(flags)
        let versions = try header.strings(version)
        if let f = flagValues, f.count != names.count {
            throw FormatError.invalid(format: "RPM", reason: "header: \(rpmTagLabel(flags)) has \(f.count) items for \(names.count) \(rpmTagLabel(name)) items")
        }
        if let v = versions, v.count != names.count {
            throw FormatError.invalid(format: "RPM", reason: "header: \(rpmTagLabel(version)) has \(v.count) items for \(names.count) \(rpmTagLabel(name)) items")
        }
        return names.indices.map { i in
            RPMDependency(name: names[i],
                          flags: UInt32(truncatingIfNeeded: flagValues?[i] ?? 0),
                          version: versions?[i] ?? "")
        }
    }
}

func rpmTagLabel(_ tag: UInt32) -> String {
    RPMTag.names[tag] ?? "tag \(tag)"
}
