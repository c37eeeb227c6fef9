import Foundation

/// A JSON document as plain values, for rendering meta.json without Foundation's writer
/// (whose locale-aware key sorting cost milliseconds per package when `ls -l` sizes meta.json).
/// Numbers keep their text, so a parsed document renders them exactly as they were written.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

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

    /// Values built in Swift (strings, integers, booleans, arrays, dictionaries, NSNull, nil).
    public init(_ any: Any?) {
        switch any {
        case nil, is NSNull: self = .null
        case let value as JSONValue: self = value
        case let value as String: self = .string(value)
        case let value as Bool: self = .bool(value)
        case let value as Int: self = .number(String(value))
        case let value as Int64: self = .number(String(value))
        case let value as Int32: self = .number(String(value))
        case let value as UInt64: self = .number(String(value))
        case let value as Double: self = .number(value.isFinite ? "\(value)" : "0")
        case let value as [Any]: self = .array(value.map { JSONValue($0) })
        case let value as [String: Any]: self = .object(value.map { (key: $0.key, value: JSONValue($0.value)) })
        default: self = .string("\(any!)")
        }
    }
}
