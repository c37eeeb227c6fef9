import Foundation

/// A precise reason why bytes are not a valid package of some format.
/// `description` is written for a person reading `packageStateDetails`.
public enum FormatError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The input ended before `needed` bytes; only `available` exist.
    case truncated(needed: Int, available: Int)
    /// Magic bytes did not match what the format requires.
    case badMagic(format: String, found: String)
    /// A structural field is out of range or inconsistent.
    case invalid(format: String, reason: String)
    /// A recorded digest does not match the bytes.
    case digestMismatch(what: String, expected: String, actual: String)
    /// A limit that protects the mount (size, count, ratio) was exceeded.
    case limitExceeded(what: String, limit: Int)
    /// Reading the input failed.
    case io(path: String, errno: Int32)

    public var description: String {
        switch self {
        case let .truncated(needed, available):
            return "truncated: needed \(needed) bytes, only \(available) present"
        case let .badMagic(format, found):
            return "not a \(format) file: bad magic \(found)"
        case let .invalid(format, reason):
            return "invalid \(format): \(reason)"
        case let .digestMismatch(what, expected, actual):
            return "\(what) digest mismatch: expected \(expected), computed \(actual)"
        case let .limitExceeded(what, limit):
            return "\(what) exceeds the limit of \(limit)"
        case let .io(path, e):
            return "cannot read \(path): \(String(cString: strerror(e)))"
        }
    }
}
