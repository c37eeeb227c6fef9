import Foundation
import PkgfsFUSE
import PkgfsStore

/// Store errors as the errno a user sees (SPEC §6): not found ENOENT, not allowed EACCES,
/// invalid EINVAL, conflict EEXIST, failed verification or internal EIO, full ENOSPC.
extension FSError {
    init(_ error: any Error) {
        switch error {
        case let fsError as FSError:
            self = fsError
        case let store as StoreError:
            switch store {
            case let .notFound(m): self.init(ENOENT, m)
            case let .conflict(m): self.init(EEXIST, m)
            case let .invalid(m): self.init(EINVAL, m)
            case let .verificationFailed(m): self.init(EIO, m)
            case let .notPermitted(m): self.init(EACCES, m)
            case let .noSpace(m): self.init(ENOSPC, m)
            case let .io(m, e): self.init(e == ENOSPC ? ENOSPC : EIO, "\(m): \(String(cString: strerror(e)))")
            }
        default:
            self.init(EIO, "\(error)")
        }
    }
}

/// Runs `body`, turning any error into an FSError.
func mapped<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw FSError(error)
    }
}
