import Foundation
import PkgfsModel

/// Collects `limit` problems while `BundleFieldLimits` walks the manifest; one method per
/// kind of rule, each naming the field and the rule in its detail.
struct BundleFieldCheck {
    private(set) var problems: [BundleProblem] = []

    mutating func fail(_ field: String, _ title: String, _ detail: String) {
        problems.append(BundleProblem(kind: .limit, field: field, title: title, detail: detail))
    }

    /// Length in characters (Unicode scalars, as JSON Schema counts).
    mutating func length(_ value: String, _ field: String, _ range: ClosedRange<Int>) {
        let n = value.unicodeScalars.count
        guard !range.contains(n) else { return }
        let bound = range.lowerBound == range.upperBound ? "exactly \(range.lowerBound)" :
            "\(range.lowerBound) to \(range.upperBound)"
        let what = n == 0 ? "is empty" : "has \(n) characters (\(quote(value)))"
        fail(field, "\(field) has the wrong length",
             "\(field) \(what); the Astra package schema allows \(bound) characters")
    }

    mutating func oneOf(_ value: String, _ field: String, _ allowed: [String]) {
        guard !allowed.contains(value) else { return }
        fail(field, "\(field) is not an allowed value",
             "\(field) is \(quote(value)); it must be one of " +
             allowed.map { "\"\($0)\"" }.joined(separator: ", "))
    }

    /// `sha256:` followed by 64 lowercase hex digits (the seed's `^(sha256:)[0-9a-f]{64}$`).
    mutating func digest(_ value: String, _ field: String) {
        guard !BundleFieldCheck.isDigest(value) else { return }
        fail(field, "\(field) is not a sha256 digest",
             "\(field) is \(quote(value)); it must match ^sha256:[0-9a-f]{64}$ (lowercase hex SHA-256 of the member's bytes)")
    }

    static func isDigest(_ value: String) -> Bool {
        value.hasPrefix("sha256:") && Hex.isLowercase(value.dropFirst(7), count: 64)
    }

    /// Parses a version under `rule`; reports it when it does not follow the rule.
    @discardableResult
    mutating func version(_ value: String, _ field: String, _ rule: BundleVersionRule) -> SemVer? {
        if let v = rule.semVer(value) { return v }
        fail(field, "\(field) is not a valid version",
             "\(field) is \(quote(value)); it must be \(rule.summary)")
        return nil
    }

    /// `low <= high` when both parsed.
    mutating func ordered(_ low: SemVer?, _ high: SemVer?, lowField: String, highField: String,
                          lowText: String?, highText: String?) {
        guard let low, let high, high < low else { return }
        fail(highField, "\(lowField) is above \(highField)",
             "\(lowField) \(quote(lowText ?? "")) is higher than \(highField) \(quote(highText ?? "")); the range is empty")
    }

    /// A UUID in its canonical 8-4-4-4-12 hex form (any version: the seed's own example
    /// `54edc2b3-18c5-5371-904b-ebcd04d88bdc` is a version 5 UUID).
    mutating func uuid(_ value: String, _ field: String) {
        guard value.utf8.count != 36 || UUID(uuidString: value) == nil else { return }
        fail(field, "\(field) is not a UUID",
             "\(field) is \(quote(value)); it must be a UUID such as 54edc2b3-18c5-5371-904b-ebcd04d88bdc")
    }

    /// A name the tree can show as one directory entry.
    mutating func plainName(_ value: String, _ field: String) {
        guard value.contains("/") || value == "." || value == ".." || value.contains("\0") else { return }
        fail(field, "\(field) is not a plain file name",
             "\(field) is \(quote(value)); it must be a single file name without '/' and not '.' or '..'")
    }

    func quote(_ value: String) -> String {
        let shown = value.unicodeScalars.count > 80 ? String(value.prefix(77)) + "..." : value
        return "\"" + shown.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
