import Foundation

/// The two roles of the seeds: PACKAGE_MANAGER may upload; READER may only read.
public enum Role: String, Sendable {
    case packageManager = "PACKAGE_MANAGER"
    case reader = "READER"
}

/// Who a request comes from, once its bearer token is checked.
public struct Caller: Sendable, Equatable {
    public let role: Role
    /// The Astra account (a UUID) the token belongs to.
    public let account: String
}

/// `--tokens FILE`: one `<token> <role> <account-uuid>` a line; `#` comments and blank lines
/// are skipped. Tokens are secrets: they are never logged or echoed in errors.
public struct TokenTable: Sendable {
    private let callers: [String: Caller]

    public var count: Int { callers.count }

    public init(contents: String, source: String = "tokens file") throws {
        var table: [String: Caller] = [:]
        for (index, raw) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let at = "\(source) line \(index + 1)"
            guard fields.count == 3 else {
                throw HTTPSetupError("\(at): expected `<token> <role> <account-uuid>`, found \(fields.count) field(s)")
            }
            guard let role = Role(rawValue: fields[1]) else {
                throw HTTPSetupError("\(at): role must be PACKAGE_MANAGER or READER")
            }
            guard let account = AccountID.normalized(fields[2]) else {
                throw HTTPSetupError("\(at): account must be a UUID, like 8f84cf09-8036-41e4-b579-bd30cb07b269")
            }
            guard table[fields[0]] == nil else {
                throw HTTPSetupError("\(at): this token is already listed on an earlier line")
            }
            table[fields[0]] = Caller(role: role, account: account)
        }
        callers = table
    }

    public static func load(path: String) throws -> TokenTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = access(path, R_OK) == 0 ? "it is not a readable file" : String(cString: strerror(errno))
            throw HTTPSetupError("cannot read tokens file \(path): \(reason)")
        }
        let table = try TokenTable(contents: String(decoding: data, as: UTF8.self), source: path)
        if table.count == 0 { throw HTTPSetupError("tokens file \(path) lists no token") }
        return table
    }

    func caller(token: String) -> Caller? { callers[token] }
}

/// What the server knows about a request's credentials.
enum Authentication {
    case caller(Caller)
    case missing
    case invalid

    /// `Authorization: Bearer <token>`. Without a token table every caller is PACKAGE_MANAGER
    /// of the store's own account (the server then listens on loopback only).
    static func resolve(authorization: String?, tokens: TokenTable?, storeAccount: String) -> Authentication {
        guard let tokens else { return .caller(Caller(role: .packageManager, account: storeAccount)) }
        guard let header = authorization?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return .missing }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .invalid }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return tokens.caller(token: token).map(Authentication.caller) ?? .invalid
    }
}

public struct HTTPSetupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
