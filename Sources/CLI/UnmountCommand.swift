import ArgumentParser
import Foundation
import PkgfsFUSE

struct UnmountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unmount",
        abstract: "Unmount a pkgfs mount; the background process then exits.")

    @Flag(name: .long, help: "Detach now even if files are open (the mount goes away when they close).")
    var lazy = false

    @Argument(help: ArgumentHelp("The mount point.", valueName: "mountpoint"))
    var mountPoint: String

    func run() throws {
        if FuseConnection.abortIfOrphaned(mountPoint) {
            FileHandle.standardError.write(Data("pkgfs: the process that served \(mountPoint) died with requests in flight; its connection was aborted\n".utf8))
        }
        let path = MountTable.canonical(mountPoint)
        switch MountPointStatus.check(path) {
        case .mounted, .stale:
            // Only pkgfs's own: run as root, fusermount3 would unmount any filesystem named.
            let type = MountTable.fsType(at: path) ?? "unknown"
            guard type == MountTable.pkgfsType else {
                throw CLIError("\(path) is a \(type) mount, not pkgfs; nothing was unmounted")
            }
            try Unmounter.unmount(path, lazy: lazy)
            print("pkgfs: unmounted \(path)")
        default:
            var st = stat()
            if stat(path, &st) != 0 && errno == ENOENT { throw CLIError("\(path) does not exist; nothing was unmounted") }
            throw CLIError("\(path) is not mounted")
        }
    }
}

enum Unmounter {
    static func unmount(_ path: String, lazy: Bool) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/fusermount3")
        process.arguments = ["-u"] + (lazy ? ["-z"] : []) + [path]
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw CLIError("cannot run fusermount3 (apt-get install fuse3): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let hint = message.contains("busy") ? "\nsomething still uses the mount (open file or working directory); close it or use --lazy" : ""
            throw CLIError("could not unmount \(path): \(message.trimmingCharacters(in: .whitespacesAndNewlines))\(hint)")
        }
        // The mount table entry goes away with the unmount; wait briefly so callers can rely on it.
        for _ in 0..<250 where MountTable.fsType(at: path) != nil { usleep(20_000) }
    }
}
