import Foundation
import Hummingbird
import PkgfsModel
import PkgfsStore

/// OCP: upload (`POST /api/v2/software-packages`, multipart field `file`), query
/// (`GET /api/v2/software-packages`) and download (`GET /api/v2/files/sys-package/<fileName>`).
extension PkgfsHTTPServer {
    func addOCPRoutes(to router: Router<BasicRequestContext>) {
        router.post("/api/v2/software-packages") { request, context in
            await self.upload(request, context: context)
        }
        router.get("/api/v2/software-packages") { request, _ in
            await self.query(request)
        }
        router.get("/api/v2/files/sys-package/:fileName") { request, context in
            await self.download(request, context: context)
        }
        router.head("/api/v2/files/sys-package/:fileName") { request, context in
            await self.download(request, context: context)
        }
    }

    // MARK: - envelope

    /// The OCP response envelope: `data`, `successful`, `timestamp`, `duration`, `status`, `traceId`, `server`.
    func envelope(_ data: Any?, status: HTTPResponse.Status, trace: Trace, error: [String: Any]? = nil,
                  headers: HTTPFields = [:]) -> Response {
        var object: [String: Any] = [
            "successful": (200..<300).contains(status.code),
            "timestamp": OffsetTimestamp.now(),
            "duration": trace.durationMilliseconds,
            "status": status.code,
            "traceId": trace.id,
            "server": serverName,
        ]
        if let data { object["data"] = data }
        if let error { object["error"] = error }
        return JSONBody.response(object, status: status, headers: headers)
    }

    /// A failed OCP call: `successful: false` and `error` {`code`, `message`, `status`, `details`?}.
    func failure(_ status: HTTPResponse.Status, _ message: String, trace: Trace, data: Any? = nil,
                 details: [[String: String]]? = nil) -> Response {
        var error: [String: Any] = ["code": StatusMapping.code(status), "message": message, "status": status.code]
        if let details { error["details"] = details }
        var headers: HTTPFields = [:]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"pkgfs\"" }
        logger.notice("\(status.code) trace=\(trace.id): \(message)")
        return envelope(data, status: status, trace: trace, error: error, headers: headers)
    }

    /// The caller, or the OCP error response: 401 without a valid token, 403 for another
    /// account's token or (when `manager`) a READER.
    func ocpCaller(_ request: Request, trace: Trace, manager: Bool) -> Result<Caller, OCPRefusal> {
        switch authenticate(request) {
        case .missing:
            return .failure(OCPRefusal(failure(.unauthorized, "the request is missing the required bearer token (Authorization: Bearer <token>)", trace: trace)))
        case .invalid:
            return .failure(OCPRefusal(failure(.unauthorized, "the bearer token is not valid", trace: trace)))
        case let .caller(caller):
            if caller.account != accountID {
                return .failure(OCPRefusal(failure(.forbidden, "this store belongs to account \(accountID); the token is for account \(caller.account)", trace: trace)))
            }
            if manager && caller.role != .packageManager {
                return .failure(OCPRefusal(failure(.forbidden, "uploading needs the PACKAGE_MANAGER role; the token has \(caller.role.rawValue)", trace: trace)))
            }
            return .success(caller)
        }
    }

    func softwarePackageMeta(_ package: Package, _ request: Request) -> [String: Any] {
        MetaDocument.softwarePackageMeta(package, downloadUrl: downloadURL(request, fileName: package.fileName))
    }

    // MARK: - upload

    func upload(_ request: Request, context: BasicRequestContext) async -> Response {
        let trace = Trace()
        let caller: Caller
        switch ocpCaller(request, trace: trace, manager: true) {
        case let .failure(refusal): return refusal.response
        case let .success(c): caller = c
        }
        guard let contentType = request.headers[.contentType],
              let boundary = MultipartParser.boundary(contentType: contentType) else {
            return failure(.badRequest, "the request type must be multipart/form-data with a boundary, the file in the field `file` (curl -F file=@PACKAGE)", trace: trace)
        }
        let receiver = UploadReceiver(repository: repository, uploader: caller.account)
        var parser = MultipartParser(boundary: boundary)
        do {
            for try await chunk in request.body {
                try chunk.withUnsafeReadableBytes { bytes in
                    try parser.feed(bytes) { event in try receiver.handle(event) }
                }
            }
            guard parser.isComplete else {
                throw UploadRefusal.badRequest("the multipart body ended before its closing boundary")
            }
        } catch let refusal as UploadRefusal {
            receiver.abandon()
            switch refusal {
            case let .badRequest(message): return failure(.badRequest, message, trace: trace)
            case let .store(error): return failure(StatusMapping.status(error), "\(error)", trace: trace)
            }
        } catch let failed as MultipartParser.Failure {
            receiver.abandon()
            return failure(.badRequest, failed.description, trace: trace)
        } catch {
            receiver.abandon()
            logger.warning("upload trace=\(trace.id) broke off: \(error)")
            return failure(.badRequest, "the request body could not be read: \(error)", trace: trace)
        }
        guard let session = receiver.finishedSession else {
            return failure(.badRequest, "the multipart body has no field `file` with a file name (curl -F file=@PACKAGE)", trace: trace)
        }
        let (repository, onRegistered) = (self.repository, self.onRegistered)
        let outcome: RegistrationOutcome
        do {
            // onRegistered may wait until a mount's tree shows the package: off the async pool.
            outcome = try await offload {
                // A bundle shows as `verifying` in the mount while it is checked, as after `cp`.
                let outcome = try repository.finishUpload(session, registeredAsVerifying: onRegistered)
                onRegistered(outcome)
                return outcome
            }
        } catch {
            return failure(StatusMapping.status(error), "\(error)", trace: trace)
        }
        let package = outcome.package
        let meta = softwarePackageMeta(package, request)
        guard package.state == .available else {
            let details = package.stateDetails.map { ["type": $0.type, "title": $0.title, "detail": $0.detail] }
            let reasons = package.stateDetails.map { "\($0.title): \($0.detail)" }.joined(separator: "; ")
            return failure(.unprocessableContent,
                           "\(package.fileName) was kept as \(package.state.rawValue) (id \(package.id)): \(reasons)",
                           trace: trace, data: meta, details: details)
        }
        return envelope(meta, status: .ok, trace: trace)
    }

    // MARK: - query

    /// `keyword` (name, type, version, OS or architecture contains it, any case), `page` (from 1),
    /// `size` (1 to 1000, default 10), `sort` (`uploadTime,desc` the default, or `uploadTime,asc`).
    func query(_ request: Request) async -> Response {
        let trace = Trace()
        if case let .failure(refusal) = ocpCaller(request, trace: trace, manager: false) { return refusal.response }
        let parameters = request.uri.queryParameters
        let keyword = parameters.get("keyword") ?? ""
        let page = parameters.get("page").map { Int($0) } ?? 1
        let size = parameters.get("size").map { Int($0) } ?? 10
        // SQLite's LIKE ends a pattern at a NUL: "%00" matched every package.
        guard !keyword.contains("\0") else { return failure(.badRequest, "keyword must not contain NUL", trace: trace) }
        guard let page, page >= 1 else { return failure(.badRequest, "page must be a whole number from 1", trace: trace) }
        guard let size, (1...1000).contains(size) else {
            return failure(.badRequest, "size must be a whole number from 1 to 1000", trace: trace)
        }
        let ascending: Bool
        switch (parameters.get("sort") ?? "").lowercased().replacingOccurrences(of: " ", with: "") {
        case "", "desc", "uploadtime", "uploadtime,desc", "createdat,desc", "gmtcreate,desc": ascending = false
        case "asc", "uploadtime,asc", "createdat,asc", "gmtcreate,asc": ascending = true
        default:
            return failure(.badRequest, "sort must be uploadTime,desc or uploadTime,asc (packages sort by upload time)", trace: trace)
        }
        do {
            let repository = self.repository
            // A page past any catalog is empty, also one whose offset no integer holds.
            let (product, overflow) = (page - 1).multipliedReportingOverflow(by: size)
            let offset = overflow ? Int.max : product
            let (ids, total) = try await offload {
                // Without a keyword, one page of the catalog: a search would hold every package's hit at once.
                if keyword.isEmpty { return try repository.catalog.pageOfAll(offset: offset, limit: size, ascending: ascending) }
                var hits = try repository.catalog.searchHits(keyword: keyword)
                if ascending { hits.reverse() }
                return (hits.dropFirst(offset).prefix(size).map(\.id), hits.count)
            }
            let packages = try await offload { try ids.compactMap { try repository.catalog.package(id: $0) } }
            let data: [String: Any] = [
                "contents": packages.map { softwarePackageMeta($0, request) },
                "page": ["number": page, "size": size, "totalElements": total,
                         "totalPages": (total + size - 1) / size],
            ]
            return envelope(data, status: .ok, trace: trace)
        } catch {
            return failure(StatusMapping.status(error), "\(error)", trace: trace)
        }
    }

    // MARK: - download

    /// The original bytes, with `Range: bytes=a-b` (one range) answered by 206 and Content-Range.
    func download(_ request: Request, context: BasicRequestContext) async -> Response {
        let trace = Trace()
        if case let .failure(refusal) = ocpCaller(request, trace: trace, manager: false) { return refusal.response }
        let raw = context.parameters.get("fileName") ?? ""
        let fileName = raw.removingPercentEncoding ?? raw
        let repository = self.repository
        let found: Package?
        do {
            found = try await offload {
                try repository.catalog.summary(fileName: fileName).flatMap { try repository.catalog.package(id: $0.id) }
            }
        } catch {
            return failure(StatusMapping.status(error), "\(error)", trace: trace)
        }
        guard let package = found else {
            return failure(.notFound, "no package with file name \(fileName)", trace: trace)
        }
        let size = Int(package.size)
        // The blob is opened before anything is answered, and the body read from that descriptor:
        // a delete meanwhile does not cut the body short (as a reader of the mount who opened the
        // file reads it whole). One cut short or gone on disk makes the package corrupt.
        let blob: BlobDescriptor
        switch BlobDescriptor.open(package, in: repository) {
        case .success(let opened):
            blob = opened
        case .failure(let finding):
            let onRegistered = self.onRegistered
            let damaged = try? await offload { () -> Package? in
                guard let now = try repository.storedBytesDamaged(package, finding.description) else { return nil }
                onRegistered(.registered(now))  // the mount shows it corrupt at once
                return now
            }
            guard damaged != nil else { return failure(.notFound, "no package with file name \(fileName)", trace: trace) }
            return failure(.internalServerError, "the stored bytes of \(fileName) are damaged (\(finding)); it is corrupt now", trace: trace)
        }
        var headers: HTTPFields = [:]
        headers[.contentType] = "application/octet-stream"
        headers[.acceptRanges] = "bytes"
        headers[.eTag] = "\"\(package.sha256)\""
        headers[.contentDisposition] = "attachment; filename=\"\(package.fileName.replacingOccurrences(of: "\"", with: "_"))\""
        var status = HTTPResponse.Status.ok
        var range: ClosedRange<Int>? = size > 0 ? 0...(size - 1) : nil
        if let header = request.headers[.range] {
            switch ByteRange.parse(header, size: size) {
            case .ignore:
                break
            case .unsatisfiable:
                var refused = failure(.rangeNotSatisfiable, "range \(header) is outside the \(size) bytes of \(fileName)",
                                      trace: trace)
                refused.headers[.contentRange] = "bytes */\(size)"
                return refused
            case let .range(r):
                range = r
                status = .partialContent
                headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound)/\(size)"
            }
        }
        if request.method == .head {
            headers[.contentLength] = String(range?.count ?? 0)
            return Response(status: status, headers: headers)
        }
        guard let range else { return Response(status: status, headers: headers, body: ResponseBody()) }
        return Response(status: status, headers: headers, body: blob.body(range))
    }
}

struct OCPRefusal: Error {
    let response: Response
    init(_ response: Response) { self.response = response }
}

enum UploadRefusal: Error {
    case badRequest(String)
    case store(any Error)
}

/// Receives the multipart events of one upload: the first part named `file` with a file
/// name goes, chunk by chunk, into an UploadSession; other parts are skipped.
final class UploadReceiver {
    private let repository: Repository
    private let uploader: String
    private var session: UploadSession?
    private var offset: Int64 = 0
    private var inFilePart = false
    private var done = false

    init(repository: Repository, uploader: String) {
        self.repository = repository
        self.uploader = uploader
    }

    var finishedSession: UploadSession? { done ? session : nil }

    func handle(_ event: MultipartParser.Event) throws {
        switch event {
        case let .partBegin(headers):
            guard !done, session == nil, headers.name == "file", let raw = headers.fileName else { return }
            // Browsers may send a client path; only the last component names the package.
            let name = String(raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "")
            guard !name.isEmpty, name != ".", name != "..", !name.contains(where: { $0 == "\0" || $0.isNewline }),
                  name.utf8.count <= 255 else {
                throw UploadRefusal.badRequest("the file name '\(raw)' cannot name a package")
            }
            // In the mount such a name is a temporary file, hidden from listings and never registered.
            guard !name.hasPrefix(".") else {
                throw UploadRefusal.badRequest("the file name '\(name)' starts with a dot: a package name cannot (in the mount it is a temporary file)")
            }
            do {
                session = try repository.beginUpload(fileName: name, uploader: uploader)
            } catch {
                throw UploadRefusal.store(error)
            }
            inFilePart = true
        case let .partData(bytes):
            guard inFilePart, let session else { return }
            do {
                offset += Int64(try session.write(at: offset, bytes))
            } catch {
                throw UploadRefusal.store(error)
            }
        case .partEnd:
            if inFilePart {
                inFilePart = false
                done = true
            }
        }
    }

    func abandon() {
        if let session { repository.abandon(session) }
        session = nil
    }
}

enum ByteRange {
    case ignore
    case unsatisfiable
    case range(ClosedRange<Int>)

    /// One `bytes=first-last`, `bytes=first-` or `bytes=-suffix` range; several ranges or
    /// another unit are ignored (the whole file is sent, as RFC 9110 allows).
    static func parse(_ header: String, size: Int) -> ByteRange {
        let value = header.trimmingCharacters(in: .whitespaces)
        guard value.lowercased().hasPrefix("bytes=") else { return .ignore }
        let spec = value.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .ignore }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        if first.isEmpty {
            guard let suffix = position(last) else { return .ignore }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .range(max(0, size - suffix)...(size - 1))
        }
        guard let start = position(first) else { return .ignore }
        var end = size - 1
        if !last.isEmpty {
            guard let e = position(last), e >= start else { return .ignore }
            end = min(e, size - 1)
        }
        guard start < size else { return .unsatisfiable }
        return .range(start...end)
    }

    /// A byte position: digits only; one too large for an integer lies past any file, so it is
    /// the largest one (RFC 9110: a last position past the end means the end).
    private static func position(_ digits: String) -> Int? {
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int(digits) ?? Int.max
    }
}
