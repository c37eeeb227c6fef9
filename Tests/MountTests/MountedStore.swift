import Foundation
import TestSupport
import XCTest

/// A temp store mounted with the real `pkgfs` binary; always unmounted, also when a test fails.
final class MountedStore {
    let root: String
    let store: String
    let mountPoint: String
    let binary: String

    /// Skips (with the reason) only where /dev/fuse is absent.
    /// `environment` is added to the daemon's (test hooks such as `PKGFS_TEST_VERIFY_GATE`).
    static func make(_ test: XCTestCase, extra: String = "", environment: [String: String] = [:],
                     file: StaticString = #filePath, line: UInt = #line) throws -> MountedStore {
        guard access("/dev/fuse", R_OK | W_OK) == 0 else {
            throw XCTSkip("/dev/fuse is absent here: mount tests need FUSE (run as root where /dev/fuse exists)")
        }
        let mounted = try MountedStore()
        test.addTeardownBlock { mounted.tearDown() }
        try mounted.mount(extra: extra, environment: environment, file: file, line: line)
        return mounted
    }

    private init() throws {
        root = NSTemporaryDirectory() + "pkgfs-test-" + UUID().uuidString.prefix(8).lowercased()
        store = root + "/store"
        mountPoint = root + "/mnt"
        binary = Self.locateBinary()
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
    }

    /// The `pkgfs` built beside this test bundle (or PKGFS_BIN).
    static func locateBinary() -> String {
        if let explicit = ProcessInfo.processInfo.environment["PKGFS_BIN"] { return explicit }
        // On Linux the bundle URL is the build directory itself; elsewhere the .xctest inside it.
        let bundle = Bundle(for: MountedStore.self).bundleURL
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("pkgfs").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    func mount(extra: String = "", environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws {
        let result = pkgfs("mount --store \(Shell.quote(store)) \(extra) \(Shell.quote(mountPoint))", environment: environment)
        XCTAssertTrue(result.ok, "pkgfs mount failed: \(result.stdout)\(result.stderr)", file: file, line: line)
        if !result.ok { throw XCTSkip("cannot continue without a mount") }
    }

    func unmount() {
        let result = pkgfs("unmount \(Shell.quote(mountPoint))")
        if !result.ok { Shell.run("fusermount3 -u -z \(Shell.quote(mountPoint))") }
        waitForDaemonExit()
    }

    @discardableResult
    func pkgfs(_ arguments: String, environment: [String: String] = [:]) -> ShellResult {
        Shell.run("\(Shell.quote(binary)) \(arguments)", environment: environment)
    }

    /// Runs `command` in the mount point's parent with $M = mount point, $S = store.
    /// Cuts the kernel's connection to the daemon (/sys/fs/fuse/connections/N/abort): every
    /// request waiting on it fails, so a test that found the mount hung can still unmount it.
    func abortConnection() {
        Shell.run("""
            grep -qs fusectl /proc/mounts || mount -t fusectl none /sys/fs/fuse/connections
            n=$(awk -v m=\(Shell.quote(mountPoint)) '$5 == m { split($3, d, ":"); print d[2] }' /proc/self/mountinfo)
            [ -n "$n" ] && echo 1 > /sys/fs/fuse/connections/$n/abort
            """)
    }

    @discardableResult
    func sh(_ command: String) -> ShellResult {
        Shell.run("cd \(Shell.quote(root)) && " + command, environment: ["M": mountPoint, "S": store])
    }

    /// The pid of the serving process, from the store's lock file.
    var daemonPID: Int32? {
        guard let text = try? String(contentsOfFile: store + "/pkgfs.lock", encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Peak resident memory of the serving process, in KiB.
    var daemonPeakRSSKiB: Int? {
        guard let pid = daemonPID,
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        }
        return nil
    }

    var log: String {
        (try? String(contentsOfFile: store + "/pkgfs.log", encoding: .utf8)) ?? ""
    }

    private func waitForDaemonExit() {
        guard let pid = daemonPID else { return }
        for _ in 0..<200 where kill(pid, 0) == 0 {
            // A zombie would still answer kill(0); the daemon is not our child, so it is reaped by init.
            usleep(25_000)
        }
    }

    func tearDown() {
        if Shell.run("grep -qs \(Shell.quote(" " + mountPoint + " ")) /proc/mounts").ok {
            unmount()
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}
