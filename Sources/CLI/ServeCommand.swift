import ArgumentParser
import Foundation
import Logging
import PkgfsHTTP
import PkgfsStore

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a store over HTTP: the OCP software-package API and the Astra package resource.",
        discussion: """
            Upload:   curl -F file=@PACKAGE http://127.0.0.1:8080/api/v2/software-packages
            Query:    curl 'http://127.0.0.1:8080/api/v2/software-packages?keyword=agent&page=1&size=10'
            Download: curl -O http://127.0.0.1:8080/api/v2/files/sys-package/FILENAME
            Astra:    curl http://127.0.0.1:8080/accounts/ACCOUNT/core/v1/packages/UUID
            Without --tokens every caller is PACKAGE_MANAGER of the store's account (printed at
            start, kept in <store>/account-id), so only a loopback --listen is accepted.
            A store is served by one process at a time: to serve a mounted store, use
            `pkgfs mount --http ADDR` instead. Stops on SIGINT or SIGTERM.
            """)

    @OptionGroup var storeOption: StoreOption

    @Option(name: .long, help: ArgumentHelp("Address to listen on (port 0 picks a free one).", valueName: "host:port"))
    var listen = "127.0.0.1:8080"

    @Option(name: .long, help: ArgumentHelp("Bearer tokens, one `<token> <PACKAGE_MANAGER|READER> <account-uuid>` a line.", valueName: "file"))
    var tokens: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    /// Synchronous, like the other commands: an async root command would run `mount` amid
    /// Swift's worker threads, and FUSE's SIGTERM must reach the thread blocked in its loop.
    func run() throws {
        let address: ListenAddress
        let table: TokenTable?
        do {
            address = try ListenAddress.parse(listen)
            table = try tokens.map(TokenTable.load(path:))
        } catch {
            throw CLIError("\(error)")
        }
        if table == nil && !address.isLoopback {
            throw CLIError("--listen \(listen): without --tokens every caller is PACKAGE_MANAGER, so pkgfs serves on loopback only (127.0.0.1, ::1, localhost); give --tokens FILE to listen on \(address.host)")
        }
        LogSetup.bootstrap(level: logLevel)
        let repository: Repository
        do {
            repository = try Repository(root: storeOption.root)
        } catch StoreError.conflict(let message) {
            throw CLIError("cannot serve \(storeOption.root): \(message) (or use `pkgfs mount --http ADDR` to serve HTTP from the mount)")
        } catch {
            throw CLIError("cannot open store \(storeOption.root): \(error)")
        }
        let server: PkgfsHTTPServer
        do {
            server = try PkgfsHTTPServer(repository: repository, listen: address, tokens: table)
        } catch {
            throw CLIError("\(error)")
        }
        let store = repository.layout.root
        let account = server.accountID
        let access = table.map { "\($0.count) token(s)" } ?? "no tokens: every local caller is PACKAGE_MANAGER"
        let done = DispatchSemaphore(value: 0)
        let failure = HTTPStartFailure()
        Task.detached {
            do {
                try await server.run { url in
                    let line = "pkgfs: serving \(store) at \(url) (account \(account); \(access))\n"
                    FileHandle.standardOutput.write(Data(line.utf8))
                }
            } catch {
                failure.message = PkgfsHTTPServer.describe(error)
            }
            done.signal()
        }
        done.wait()
        if let message = failure.message { throw CLIError("cannot serve at \(listen): \(message)") }
    }
}
