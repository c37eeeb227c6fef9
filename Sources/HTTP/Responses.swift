import Foundation
import Hummingbird
import PkgfsModel
import PkgfsStore

/// JSON bodies: sorted keys and unescaped slashes, as in the seeds' examples.
enum JSONBody {
    static func data(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]))
            ?? Data("{}".utf8)
    }

    /// A document pkgfs renders itself, in the same layout.
    static func response(_ value: JSONValue, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.prettyPrinted() + [0x0A])))
    }

    static func response(_ object: Any, status: HTTPResponse.Status, contentType: String = "application/json",
                         headers extra: HTTPFields = [:]) -> Response {
        var bytes = data(object)
        bytes.append(0x0A)
        var headers = extra
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Store errors as HTTP statuses, mirroring the errno mapping of the mount (SPEC §6):
/// not found 404 (ENOENT), not allowed 403 (EACCES), invalid 400 (EINVAL), conflict 409 (EEXIST),
/// failed verification 422 (EIO: the bytes are kept as corrupt/incomplete), full 507 (ENOSPC),
/// internal 500 (EIO).
extension HTTPResponse.Status {
    static var insufficientStorage: Self { .init(code: 507, reasonPhrase: "Insufficient Storage") }
}

enum StatusMapping {
    static func status(_ error: any Error) -> HTTPResponse.Status {
        guard let store = error as? StoreError else { return .internalServerError }
        switch store {
        case .notFound: return .notFound
        case .conflict: return .conflict
        case .invalid: return .badRequest
        case .verificationFailed: return .unprocessableContent
        case .notPermitted: return .forbidden
        case .noSpace: return .insufficientStorage
        case let .io(_, e): return e == ENOSPC ? .insufficientStorage : .internalServerError
        }
    }

    static func code(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: return "BAD_REQUEST"
        case 401: return "UNAUTHORIZED"
        case 403: return "FORBIDDEN"
        case 404: return "NOT_FOUND"
        case 409: return "CONFLICT"
        case 416: return "RANGE_NOT_SATISFIABLE"
        case 422: return "PACKAGE_VERIFICATION_FAILED"
        case 507: return "INSUFFICIENT_STORAGE"
        default: return "INTERNAL_ERROR"
        }
    }
}

/// Per-request bookkeeping for the OCP envelope.
struct Trace {
    let started = Date()
    let id: String = String(format: "%016llx", UInt64.random(in: 0...UInt64.max))

    var durationMilliseconds: Int { Int((Date().timeIntervalSince(started) * 1000).rounded()) }
}

enum OffsetTimestamp {
    /// `2021-08-24T21:40:09.952+08:00`: local time, milliseconds, UTC offset (as in the OCP seed).
    static func now() -> String {
        let now = Date().timeIntervalSince1970
        var whole = time_t(now.rounded(.down))
        let millis = min(999, Int(((now - Double(whole)) * 1000).rounded(.down)))
        var tm = tm()
        localtime_r(&whole, &tm)
        let offset = Int(tm.tm_gmtoff)
        let sign = offset < 0 ? "-" : "+"
        let local = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03d",
                           Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
                           Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), millis)
        return local + sign + String(format: "%02d:%02d", abs(offset) / 3600, (abs(offset) % 3600) / 60)
    }
}
