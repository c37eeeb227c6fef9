import Foundation
import Hummingbird
import PkgfsModel
import PkgfsStore

/// Astra: `GET /accounts/{account_id}/core/v1/packages[/{package_id}]`. Errors are RFC 7807
/// problem documents shaped like the seed's (`type`, `title`, `detail`, `status` as a string,
/// `correlationID`, and `invalidParams` for 400).
extension PkgfsHTTPServer {
    func addAstraRoutes(to router: Router<BasicRequestContext>) {
        router.get("/accounts/:account_id/core/v1/packages/:package_id") { request, context in
            await self.astraPackage(request, context: context)
        }
        router.get("/accounts/:account_id/core/v1/packages") { request, context in
            await self.astraPackages(request, context: context)
        }
    }

    struct Problem: Error {
        let status: HTTPResponse.Status
        let type: Int
        let title: String
        let detail: String
        var invalidParams: [(name: String, reason: String)] = []

        static let missingToken = Problem(status: .unauthorized, type: 3, title: "Missing bearer token",
                                          detail: "The request is missing the required bearer token.")
        static let invalidToken = Problem(status: .unauthorized, type: 4, title: "Invalid bearer token",
                                          detail: "The supplied bearer token is invalid.")
        static let forbidden = Problem(status: .forbidden, type: 11, title: "Operation not permitted",
                                       detail: "The requested operation isn't permitted.")
    }

    func problemResponse(_ problem: Problem, correlationID: String) -> Response {
        var object: [String: Any] = [
            "type": "https://astra.netapp.io/problems/\(problem.type)",
            "title": problem.title,
            "detail": problem.detail,
            "status": String(problem.status.code),
            "correlationID": correlationID,
        ]
        if !problem.invalidParams.isEmpty {
            object["invalidParams"] = problem.invalidParams.map { ["name": $0.name, "reason": $0.reason] }
        }
        var headers: HTTPFields = [:]
        if problem.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"pkgfs\"" }
        logger.notice("\(problem.status.code) correlationID=\(correlationID): \(problem.title)")
        return JSONBody.response(object, status: problem.status, contentType: "application/problem+json", headers: headers)
    }

    /// Checks, in the seed's order: the bearer token (401), the path's ids (400 with
    /// `invalidParams`), the caller's account (403); the store's account otherwise has no
    /// packages collection here (404).
    func astraAccount(_ request: Request, context: BasicRequestContext, packageID: Bool) throws(Problem) -> String? {
        switch authenticate(request) {
        case .missing: throw .missingToken
        case .invalid: throw .invalidToken
        case let .caller(caller):
            let rawAccount = context.parameters.get("account_id") ?? ""
            var invalid: [(name: String, reason: String)] = []
            let account = AccountID.normalized(rawAccount)
            if account == nil { invalid.append(("account_id", "must be a UUID, like \(accountID)")) }
            var package: String?
            if packageID {
                let raw = context.parameters.get("package_id") ?? ""
                package = AccountID.normalized(raw)
                if package == nil { invalid.append(("package_id", "must be a UUID (a package's `id`, its uuid in meta.json)")) }
            }
            if !invalid.isEmpty {
                throw Problem(status: .badRequest, type: 5, title: "Invalid path parameters",
                              detail: "The supplied path parameters are invalid.", invalidParams: invalid)
            }
            guard account == caller.account else { throw .forbidden }
            guard account == accountID else {
                throw Problem(status: .notFound, type: 2, title: "Collection not found",
                              detail: "The collection specified in the request URI wasn't found.")
            }
            return package
        }
    }

    func astraPackage(_ request: Request, context: BasicRequestContext) async -> Response {
        let correlationID = Trace().id
        do throws(Problem) {
            let uuid = try astraAccount(request, context: context, packageID: true) ?? ""
            let repository = self.repository
            let found: Package?
            do {
                found = try await offload {
                    try repository.catalog.summary(uuid: uuid).flatMap { try repository.catalog.package(id: $0.id) }
                }
            } catch {
                throw Problem(status: StatusMapping.status(error), type: 0, title: "Internal error", detail: "\(error)")
            }
            guard let package = found else {
                throw Problem(status: .notFound, type: 1, title: "Resource not found",
                              detail: "The resource specified in the request URI wasn't found.")
            }
            return JSONBody.response(MetaDocument.astraResource(package), status: .ok)
        } catch {
            return problemResponse(error, correlationID: correlationID)
        }
    }

    func astraPackages(_ request: Request, context: BasicRequestContext) async -> Response {
        let correlationID = Trace().id
        do throws(Problem) {
            _ = try astraAccount(request, context: context, packageID: false)
            let query = request.uri.queryParameters
            let paging = try CollectionPaging { query.get($0) }
            let body = AstraCollectionBody(catalog: repository.catalog, paging: paging, logger: logger)
            // The first batch is read before the status goes out: a catalog that fails then is
            // still answered with a problem document.
            let first: [Package]
            do {
                first = try await body.batch(after: paging.after, written: 0)
            } catch {
                throw Problem(status: StatusMapping.status(error), type: 0, title: "Internal error", detail: "\(error)")
            }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody { writer in
                                try await body.write(startingWith: first) { try await writer.write(ByteBuffer(bytes: $0)) }
                                try await writer.finish(nil)
                            })
        } catch {
            return problemResponse(error, correlationID: correlationID)
        }
    }
}
