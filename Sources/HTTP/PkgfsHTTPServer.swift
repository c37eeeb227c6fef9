import Foundation
import Hummingbird
import Logging
import NIOCore
import PkgfsStore

/// `--listen HOST:PORT`: an IPv4 or IPv6 literal or a host name, and a port (0 picks a free one).
public struct ListenAddress: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public static func parse(_ text: String) throws -> ListenAddress {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw HTTPSetupError("--listen \(text): expected [IPv6]:PORT, like [::1]:8080")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw HTTPSetupError("--listen \(text): expected HOST:PORT, like 127.0.0.1:8080")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        if host.isEmpty { host = "127.0.0.1" }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw HTTPSetupError("--listen \(text): the port must be a number from 0 to 65535")
        }
        return ListenAddress(host: String(host), port: port)
    }

    /// 127.0.0.0/8, ::1 or localhost.
    public var isLoopback: Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) } == [UInt8](repeating: 0, count: 15) + [1]
        }
        return false
    }

    var isWildcard: Bool { host == "0.0.0.0" || host == "::" }

    /// `host:port` as it goes into a URL.
    func authority(port: Int) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public var description: String { authority(port: port) }
}

/// The OCP and Astra HTTP APIs over one open Repository (the same one a mount serves).
public final class PkgfsHTTPServer: Sendable {
    public let repository: Repository
    /// The store's own Astra account (`<store>/account-id`).
    public let accountID: String
    let tokens: TokenTable?
    let listen: ListenAddress
    let serverName: String
    let logger: Logger
    private let boundAuthority: LockedValue<String>
    /// Told of every package an upload registered, so a mount serving the same store can drop
    /// what the kernel cached about it.
    let onRegistered: @Sendable (RegistrationOutcome) -> Void

    /// Without a token table the server trusts every caller, so it refuses any address but loopback.
    public init(repository: Repository, listen: ListenAddress, tokens: TokenTable?,
                logger: Logger = Logger(label: "pkgfs.http"),
                onRegistered: @escaping @Sendable (RegistrationOutcome) -> Void = { _ in }) throws {
        if tokens == nil && !listen.isLoopback {
            throw HTTPSetupError("--listen \(listen): without --tokens every caller is PACKAGE_MANAGER, so pkgfs serves on loopback only (127.0.0.1, ::1, localhost); give --tokens FILE to listen on \(listen.host)")
        }
        self.repository = repository
        self.listen = listen
        self.tokens = tokens
        self.logger = logger
        self.onRegistered = onRegistered
        accountID = try AccountID.loadOrCreate(repository.layout)
        var name = [CChar](repeating: 0, count: 256)
        serverName = gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "pkgfs"
        boundAuthority = LockedValue(listen.authority(port: listen.port))
    }

    public var requiresTokens: Bool { tokens != nil }

    /// Serves until SIGINT/SIGTERM (or, with `handleSignals: false`, until the task is cancelled).
    /// `onRunning` gets the base URL once the socket is bound (the real port when 0 was asked for).
    public func run(handleSignals: Bool = true, onRunning: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        let router = Router(context: BasicRequestContext.self)
        addOCPRoutes(to: router)
        addAstraRoutes(to: router)
        let address: BindAddress = .hostname(listen.host, port: listen.port)
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: address, serverName: "pkgfs"),
            onServerRunning: { [listen, boundAuthority] channel in
                let port = channel.localAddress?.port ?? listen.port
                boundAuthority.set(listen.authority(port: port))
                onRunning("http://\(listen.authority(port: port))")
            },
            logger: logger)
        if handleSignals {
            try await app.runService()
        } else {
            try await app.run()
        }
    }

    /// `http://<listen>`; on a wildcard address the request's own Host is used instead.
    func baseURL(_ request: Request) -> String {
        if listen.isWildcard, let authority = request.head.authority, !authority.isEmpty {
            return "http://\(authority)"
        }
        return "http://\(boundAuthority.get())"
    }

    func downloadURL(_ request: Request, fileName: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        let encoded = fileName.addingPercentEncoding(withAllowedCharacters: allowed) ?? fileName
        return baseURL(request) + "/api/v2/files/sys-package/" + encoded
    }

    func authenticate(_ request: Request) -> Authentication {
        Authentication.resolve(authorization: request.headers[.authorization], tokens: tokens, storeAccount: accountID)
    }
}

final class LockedValue<T: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func get() -> T { lock.withLock { value } }
    func set(_ newValue: T) { lock.withLock { value = newValue } }
}

extension PkgfsHTTPServer {
    /// Why the server stopped, in words: a socket error is its errno's text ("Address already
    /// in use"), not SwiftNIO's description of the call that failed.
    public static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(error)"
    }
}
