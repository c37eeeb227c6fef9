import Foundation

/// A JSON document as plain values, for rendering meta.json without Foundation's writer
/// (whose locale-aware key sorting cost milliseconds per package when `ls -l` sizes meta.json).
/// Numbers keep their text, so a parsed document renders them exactly as they were written.
public indirect enum JSONValue: Equatable, Sendable, ExpressibleByStringLiteral {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public init(stringLiteral value: String) {
        self = .string(value)
    }

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The member `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The same value as `JSONSerialization` takes it.
    public var foundationObject: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let value): return value
        case .number(let text):
            if let integer = Int(text) { return integer }
            return Double(text) ?? 0
        case .string(let text): return text
        case .array(let elements): return elements.map(\.foundationObject)
        case .object(let members):
            return Dictionary(members.map { ($0.key, $0.value.foundationObject) }, uniquingKeysWith: { _, last in last })
        }
    }
}
