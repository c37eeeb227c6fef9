/// What can go wrong in the store, by the kind of answer a caller owes the user.
/// The Tree layer turns each kind into one errno (SPEC §6).
public enum StoreError: Error, Equatable, CustomStringConvertible, Sendable {
    case notFound(String)
    /// Same file name, other bytes, while the existing package is available.
    case conflict(String)
    case invalid(String)
    /// The bytes failed verification; the upload is kept as `corrupt`/`incomplete`.
    case verificationFailed(String)
    case notPermitted(String)
    case noSpace(String)
    case io(String, errno: Int32)

    public var description: String {
        switch self {
        case let .notFound(m), let .conflict(m), let .invalid(m), let .verificationFailed(m),
             let .notPermitted(m), let .noSpace(m):
            return m
        case let .io(m, e):
            return "\(m): \(String(cString: strerror(e)))"
        }
    }

    /// A failed write or sync: a full disk or quota is `noSpace`, anything else `io`.
    static func failed(_ e: Int32, _ doing: String) -> StoreError {
        e == ENOSPC || e == EDQUOT ? .noSpace("no space left \(doing)") : .io("\(doing) failed", errno: e)
    }
}

#if canImport(Glibc)
import Glibc
#endif
