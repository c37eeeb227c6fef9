import ArgumentParser
import Foundation
import Logging
import PkgfsFUSE
import PkgfsHTTP
import PkgfsStore
import PkgfsTree
import Synchronization

struct MountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount a store as a package repository.",
        discussion: """
            Returns once the mount is live (or says why it could not mount). The filesystem
            then runs in the background, logging to <store>/pkgfs.log; `pkgfs unmount` stops it.
            A mount point left stale by a killed pkgfs ("Transport endpoint is not connected")
            is cleared and reused.
            """)

    @OptionGroup var storeOption: StoreOption

    @Option(name: .long, help: ArgumentHelp("Group whose members may upload, delete and change packages (PACKAGE_MANAGER).", valueName: "name"))
    var group: String?

    @Flag(name: .long, help: "Stay attached: serve in this process until unmounted or interrupted.")
    var foreground = false

    @Flag(name: .long, help: "Let other users see the mount (always on when root mounts; needs user_allow_other in /etc/fuse.conf otherwise).")
    var allowOther = false

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: ArgumentHelp("Also serve the OCP and Astra HTTP APIs from this mount (see `pkgfs serve`).", valueName: "host:port"))
    var http: String?

    @Option(name: .long, help: ArgumentHelp("Bearer tokens for --http, one `<token> <PACKAGE_MANAGER|READER> <account-uuid>` a line.", valueName: "file"))
    var tokens: String?

    @Option(name: .long, help: ArgumentHelp("After answering a request, keep looking for the next one this long before sleeping: a busy caller's requests then need no wake-up (0: sleep at once, for the least CPU).", valueName: "microseconds"))
    var busyPoll: Int = RequestLoop.defaultSpinMicroseconds

    @Flag(inversion: .prefixedNo, help: "Let the kernel read originals straight from their blobs (FUSE passthrough; Linux 6.9+, as root). Where it cannot, or with --no-passthrough, pkgfs serves those reads itself.")
    var passthrough = true

    @Argument(help: ArgumentHelp("Directory to mount on; created if missing.", valueName: "mountpoint"))
    var mountPoint: String

    func validate() throws {
        if tokens != nil && http == nil { throw ValidationError("--tokens needs --http") }
        if !(0...10_000).contains(busyPoll) { throw ValidationError("--busy-poll takes 0 to 10000 microseconds") }
        if let http {
            do {
                let address = try ListenAddress.parse(http)
                let table = try tokens.map(TokenTable.load(path:))
                if table == nil && !address.isLoopback {
                    throw ValidationError("--http \(http): without --tokens every caller is PACKAGE_MANAGER, so pkgfs serves on loopback only (127.0.0.1, ::1, localhost); give --tokens FILE to listen on \(address.host)")
                }
            } catch let error as ValidationError {
                throw error
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if let group, getgrnam(group) == nil {
            throw ValidationError("group '\(group)' does not exist; create it (groupadd \(group)) or leave --group out")
        }
        if access("/dev/fuse", R_OK | W_OK) != 0 {
            if errno == EACCES {
                throw ValidationError("no permission to use /dev/fuse: mount as root, or give this user read and write access to /dev/fuse")
            }
            throw ValidationError("/dev/fuse is not available: load the fuse module (modprobe fuse) or run where FUSE is allowed")
        }
    }

    func run() throws {
        if http != nil && tokens == nil && group != nil {
            FileHandle.standardError.write(Data("pkgfs: note: --http without --tokens makes every local caller PACKAGE_MANAGER over HTTP; --group limits the mount only (give --tokens FILE to limit both)\n".utf8))
        }
        // Before the path is resolved: resolving it stats the mount, which an orphaned one never answers.
        if FuseConnection.abortIfOrphaned(mountPoint) {
            FileHandle.standardError.write(Data("pkgfs: the process that served \(mountPoint) died with requests in flight; its connection was aborted\n".utf8))
        }
        let path = MountTable.canonical(mountPoint)
        let created = try prepareMountPoint(path)
        do {
            try mount(at: path)
        } catch {
            if created { rmdir(path) }  // made for this mount: not left behind by one that failed
            throw error
        }
    }

    private func mount(at path: String) throws {
        // Open the store here first so a bad store fails now, with its reason, in the user's terminal.
        let repository: Repository
        do {
            // Bundles a crash left `verifying` are finished by the process that serves the
            // store (the daemon, unless --foreground), so their lines go to pkgfs.log.
            repository = try Repository(root: storeOption.root, finishingVerifications: foreground)
        } catch {
            throw CLIError("cannot open store \(storeOption.root): \(error)")
        }
        if foreground {
            LogSetup.bootstrap(level: logLevel)
            try serve(repository: repository, mountPoint: path)
        } else {
            repository.releaseLock()
            let layout = repository.layout
            try Daemon.start(arguments: daemonArguments(path), logPath: layout.logPath, mountPoint: path)
            print("pkgfs: mounted \(layout.root) at \(path) (log: \(layout.logPath))")
        }
    }

    private func daemonArguments(_ path: String) -> [String] {
        var args = ["mount", "--foreground", "--store", storeOption.root, "--log-level", logLevel.rawValue]
        if let group { args += ["--group", group] }
        if allowOther { args.append("--allow-other") }
        args += ["--busy-poll", String(busyPoll), passthrough ? "--passthrough" : "--no-passthrough"]
        if let http { args += ["--http", http] }
        if let tokens { args += ["--tokens", URL(fileURLWithPath: tokens).path] }
        return args + [path]
    }

    /// Makes `path` ready to mount on; true if it created the directory.
    private func prepareMountPoint(_ path: String) throws -> Bool {
        switch MountPointStatus.check(path) {
        case .ready:
            let inside = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if !inside.isEmpty {
                FileHandle.standardError.write(Data("pkgfs: note: \(path) is not empty; its \(inside.count) entries are hidden while pkgfs is mounted there\n".utf8))
            }
        case .missing:
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw CLIError("cannot create mount point \(path): \(error.localizedDescription)")
            }
            return true
        case .notADirectory:
            throw CLIError("\(path) is not a directory")
        case .stale:
            let type = MountTable.fsType(at: path) ?? "unknown"
            guard type == MountTable.pkgfsType else {
                throw CLIError("\(path) is a \(type) mount whose process died; it is not pkgfs's to clear (fusermount3 -u \(path))")
            }
            FileHandle.standardError.write(Data("pkgfs: \(path) is a stale mount of a process that died (Transport endpoint is not connected); clearing it\n".utf8))
            try Unmounter.unmount(path, lazy: true)
        case .mounted(let type) where type == MountTable.pkgfsType:
            throw CLIError("\(path) is already mounted (\(type)); run `pkgfs unmount \(path)` first")
        case .mounted(let type):
            throw CLIError("\(path) is already mounted (\(type)); choose another mount point")
        }
        return false
    }

    private func serve(repository: Repository, mountPoint path: String) throws {
        let logger = Logger(label: "pkgfs")
        let managerGID = group.flatMap { getgrnam($0) }.map { $0.pointee.gr_gid }
        let tree = PackageTree(repository: repository, mountPoint: path,
                               access: AccessPolicy(ownerUID: getuid(), ownerGID: getgid(), managerGID: managerGID),
                               logger: logger)
        var options = ["fsname=pkgfs:\(repository.layout.root)", "subtype=pkgfs", "default_permissions"]
        if getuid() == 0 || allowOther { options.append("allow_other") }
        // HTTP first: a port in use then fails the mount, with its reason, before anything is
        // mounted (after the mount, `pkgfs mount` had already reported success).
        if let http { try startHTTP(http, repository: repository, tree: tree, logger: logger) }
        let session: FuseSession
        do {
            session = try FuseSession(fs: tree, mountPoint: path, options: options, passthrough: passthrough, logger: logger)
        } catch {
            throw CLIError("\(error)")
        }
        logger.notice("pkgfs \(PkgfsCommand.version) serving \(repository.layout.root) at \(path)")
        session.run(busyPollMicroseconds: busyPoll)
        logger.notice("unmounting \(path)")
        let unfinished = tree.uploadsInProgress
        if !unfinished.isEmpty {
            let names = unfinished.map { "\($0.name) (\($0.size) bytes)" }.joined(separator: ", ")
            logger.warning("\(unfinished.count) upload(s) still being written are not registered; upload them again: \(names)")
        }
    }
}

extension MountCommand {
    /// Runs the HTTP APIs on the mount's own Repository, beside the FUSE loop; returns once the
    /// socket is bound (or throws why it could not be).
    private func startHTTP(_ listen: String, repository: Repository, tree: PackageTree, logger: Logger) throws {
        let server: PkgfsHTTPServer
        do {
            server = try PkgfsHTTPServer(repository: repository, listen: ListenAddress.parse(listen),
                                         tokens: tokens.map(TokenTable.load(path:)),
                                         onRegistered: { tree.packageRegistered($0) })
        } catch {
            throw CLIError("--http \(listen): \(error)")
        }
        // FUSE stops on SIGINT/SIGTERM/SIGHUP only when the signal reaches the thread blocked in
        // its loop: the threads the HTTP server starts (they inherit this mask) never take them.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&stopSignals, signal) }
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        defer { pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil) }
        let started = DispatchSemaphore(value: 0)
        let failure = HTTPStartFailure()
        let account = server.accountID
        Task.detached {
            do {
                try await server.run(handleSignals: false) { url in
                    logger.notice("HTTP APIs at \(url) (account \(account))")
                    failure.running.store(true, ordering: .releasing)
                    started.signal()
                }
            } catch {
                // Before it started, the mount fails with this reason; after, it is logged.
                if failure.running.load(ordering: .acquiring) {
                    logger.error("HTTP server at \(listen) stopped: \(PkgfsHTTPServer.describe(error))")
                } else {
                    failure.message = PkgfsHTTPServer.describe(error)
                }
            }
            started.signal()
        }
        if started.wait(timeout: .now() + 30) == .timedOut {
            throw CLIError("--http \(listen): the HTTP server did not start within 30 s")
        }
        if let message = failure.message { throw CLIError("--http \(listen): cannot serve: \(message)") }
    }
}

/// The reason the HTTP server could not start, handed from its task to the mount.
final class HTTPStartFailure: @unchecked Sendable {
    // @unchecked: `message` is written once by the server task before it signals, read after the wait.
    var message: String?
    /// Set once the server listens (`pkgfs mount --http`): a later stop is logged, not a start failure.
    let running = Atomic(false)
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
