#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chooses a package's `type` from its name: the first rule whose glob matches wins.
/// The defaults cover OCP's four types; a store may replace them with its own rules file.
public struct TypeRules: Sendable, Codable, Equatable {
    public struct Rule: Sendable, Codable, Equatable {
        /// A shell glob (fnmatch) matched against the package name, case-insensitively.
        public var pattern: String
        public var type: String
        public init(pattern: String, type: String) {
            self.pattern = pattern
            self.type = type
        }
    }

    public var rules: [Rule]
    /// The type when no rule matches.
    public var fallback: String

    public init(rules: [Rule], fallback: String = PackageType.generic) {
        self.rules = rules
        self.fallback = fallback
    }

    /// Order matters: `t-oceanbase-ocp-agent` is an agent, not a server.
    public static let defaults = TypeRules(rules: [
        Rule(pattern: "*ocp-agent*", type: PackageType.ocpAgent),
        Rule(pattern: "*obproxy*", type: PackageType.obproxy),
        Rule(pattern: "*backup-agent*", type: PackageType.obBackupAgent),
        Rule(pattern: "oceanbase", type: PackageType.obServer),
        Rule(pattern: "oceanbase-ce", type: PackageType.obServer),
        Rule(pattern: "*-oceanbase", type: PackageType.obServer),
        Rule(pattern: "*-oceanbase-ce", type: PackageType.obServer),
    ])

    public func type(forName name: String) -> String {
        let lowered = name.lowercased()
        for rule in rules where fnmatch(rule.pattern.lowercased(), lowered, 0) == 0 {
            return rule.type
        }
        return fallback
    }
}
