import Foundation
import Logging
import PkgfsModel
import PkgfsStore

/// The body of `GET …/core/v1/packages`, written as it is read: a batch of packages at a time,
/// so that a collection of a million packages (1.5 GB of JSON) costs one batch of memory. Made
/// whole, that request grew the server past 16 GB and had not answered after 300 s. The bytes
/// are what Foundation's pretty printer makes of `{"items": [...], "metadata": {...}}`.
struct AstraCollectionBody: Sendable {
    let catalog: Catalog
    let paging: CollectionPaging
    let logger: Logger

    static let batchSize = 500
    /// Bytes gathered before they go to the connection.
    static let chunkSize = 256 << 10

    /// The packages after `after` that may still be listed when `written` have been: one batch,
    /// with one more than the limit allows, which tells that another page follows.
    func batch(after: Int64, written: Int) async throws -> [Package] {
        // One more than the limit leaves, unless a batch is less (a limit near Int.max overflowed).
        let wanted = paging.limit.map { $0 - written < Self.batchSize ? $0 - written + 1 : Self.batchSize } ?? Self.batchSize
        let catalog = catalog
        return try await offload { try catalog.packages(after: after, limit: wanted) }
    }

    /// Hands the body to `emit` a chunk at a time.
    func write(startingWith first: [Package], emit: ([UInt8]) async throws -> Void) async throws {
        var out: [UInt8] = []
        out.reserveCapacity(Self.chunkSize + (64 << 10))
        out.append(contentsOf: "{\n  \"items\" : [\n".utf8)
        var batch = first
        var written = 0
        var lastID: Int64?
        var more = false
        do {
            listing: while true {
                for package in batch {
                    if let limit = paging.limit, written == limit {
                        more = true
                        break listing
                    }
                    if written > 0 { out.append(contentsOf: ",\n".utf8) }
                    JSONValue.indent(2, into: &out)
                    MetaDocument.astraResource(package).writePretty(into: &out, level: 2)
                    written += 1
                    lastID = package.id
                    if out.count >= Self.chunkSize {
                        try await emit(out)
                        out.removeAll(keepingCapacity: true)
                    }
                }
                guard let last = batch.last else { break }
                batch = try await self.batch(after: last.id, written: written)
            }
        } catch {
            // The status is out: all that is left is to cut the body short, which no client
            // takes for a whole collection.
            logger.error("packages collection cut short after \(written) items: \(error)")
            throw error
        }
        var metadata: [(key: String, value: JSONValue)] = []
        if more, let lastID { metadata.append(("continue", .string(String(lastID)))) }
        if paging.count { metadata.append(("count", .number(String(written)))) }
        out.append(contentsOf: "\n  ],\n  \"metadata\" : ".utf8)
        JSONValue.object(metadata).writePretty(into: &out, level: 1)
        out.append(contentsOf: "\n}\n".utf8)
        try await emit(out)
    }
}

/// The collection's query parameters, as Astra's collections take them: `limit` (at most that
/// many items; all without it), `continue` (the token a page's metadata gives when more follow)
/// and `count=true` (the number of items returned, in the metadata).
struct CollectionPaging {
    let limit: Int?
    let after: Int64
    let count: Bool

    /// `parameter` gives a query parameter's value by name.
    init(_ parameter: (String) -> String?) throws(PkgfsHTTPServer.Problem) {
        var invalid: [(name: String, reason: String)] = []
        limit = parameter("limit").map { Int($0) ?? 0 }
        if let limit, limit < 1 { invalid.append(("limit", "must be a whole number from 1")) }
        switch parameter("continue").map({ Int64($0) }) {
        case nil: after = 0
        case let id??: after = max(id, 0)
        case .some(nil):
            after = 0
            invalid.append(("continue", "must be the `continue` of a page's metadata"))
        }
        switch parameter("count")?.lowercased() {
        case nil, "false": count = false
        case "true": count = true
        default:
            count = false
            invalid.append(("count", "must be true or false"))
        }
        if !invalid.isEmpty {
            throw PkgfsHTTPServer.Problem(status: .badRequest, type: 6, title: "Invalid query parameters",
                                          detail: "The supplied query parameters are invalid.", invalidParams: invalid)
        }
    }
}
