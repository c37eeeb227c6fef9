import Foundation
import TestSupport
import XCTest

/// A bash command running in the background (an upload in flight, a writer held open), in a
/// session of its own, with its output and exit status in files so nothing waits on a pipe.
/// Its whole process group is killed when the test ends.
///
/// Not a Foundation `Process`: that one cannot be told to end a process group it did not
/// start, and `waitUntilExit` then waits for the last grandchild.
final class BackgroundShell: Sendable {
    let pid: Int32
    let outputPath: String
    let statusPath: String

    init(_ command: String, in directory: String, environment: [String: String] = [:],
         test: XCTestCase) throws {
        let tag = UUID().uuidString.prefix(8)
        outputPath = directory + "/bg-\(tag).out"
        statusPath = directory + "/bg-\(tag).status"
        let script = directory + "/bg-\(tag).sh"
        try ("cd \(Shell.quote(directory))\n" + command + "\n").write(toFile: script, atomically: true, encoding: .utf8)
        // `setsid` in a child of the starting shell does not fork: $! is the session's leader.
        // Descriptors above 2 are closed first: Foundation lets the pipes of `Shell.run` leak
        // into its children, and a background process holding them would make it wait for EOF.
        let wrapper = #"for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null; bash "$1"; echo $? > "$2""#
        let start = Shell.run("""
            setsid bash -c \(Shell.quote(wrapper)) bg \(Shell.quote(script)) \(Shell.quote(statusPath)) \
              </dev/null >\(Shell.quote(outputPath)) 2>&1 &
            echo $!
            """, environment: environment)
        guard let pid = Int32(start.trimmed) else {
            throw XCTSkip("cannot start a background shell: \(start.stdout)\(start.stderr)")
        }
        self.pid = pid
        test.addTeardownBlock { [self] in stop() }
    }

    /// True until the command has ended (its status is written).
    var isRunning: Bool { access(statusPath, F_OK) != 0 && kill(pid, 0) == 0 && !isZombie }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Waits up to `timeout` seconds; true when it ended.
    @discardableResult
    func wait(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(20_000) }
        return !isRunning
    }

    /// The command's exit status, -1 while it runs or when it was killed.
    var status: Int32 {
        (try? String(contentsOfFile: statusPath, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? -1
    }

    /// Kills the whole session's process group (bash, cp, dd, sleep ...).
    func stop() {
        guard access(statusPath, F_OK) != 0 else { return }
        kill(-pid, SIGKILL)
        for _ in 0..<200 where isRunning { usleep(10_000) }
    }

    private var isZombie: Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
    }
}

extension MountedStore {
    /// kill -9 of the serving daemon, as a crash would; waits until it is gone.
    func killDaemon(file: StaticString = #filePath, line: UInt = #line) throws {
        let pid = try XCTUnwrap(daemonPID, "no pid in \(store)/pkgfs.lock", file: file, line: line)
        XCTAssertEqual(kill(pid, SIGKILL), 0, "kill -9 \(pid)", file: file, line: line)
        for _ in 0..<400 where kill(pid, 0) == 0 { usleep(25_000) }
        XCTAssertNotEqual(kill(pid, 0), 0, "the daemon \(pid) survived kill -9", file: file, line: line)
    }

    /// Files in the store's tmp/ (uploads in flight).
    var temporaryFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: store + "/tmp")) ?? []).sorted()
    }

    /// Blob files in the store.
    var blobCount: Int {
        Int(sh("find $S/blobs -type f | wc -l").trimmed) ?? -1
    }

    /// Numeric ids in by-id/ (one per package; by-id also lists each uuid).
    var packageIDs: [Int] {
        sh("ls $M/by-id").stdout.split(separator: "\n").compactMap { Int($0) }.sorted()
    }

    /// Polls `condition` every 20 ms for up to `timeout` seconds.
    func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// Size of the only upload in flight in tmp/, or 0.
    var inFlightBytes: Int {
        guard let name = temporaryFiles.first,
              let size = try? FileManager.default.attributesOfItem(atPath: store + "/tmp/" + name)[.size] as? Int
        else { return 0 }
        return size
    }
}

/// Small real tar.gz packages with distinct contents.
enum TarPackages {
    @discardableResult
    static func make(_ path: String, content: String, extraBytes: Int = 0) -> String {
        let dir = path + ".d"
        Shell.run("""
            mkdir -p \(Shell.quote(dir)) && printf '%s' \(Shell.quote(content)) > \(Shell.quote(dir))/content.txt \
            && head -c \(extraBytes) /dev/urandom > \(Shell.quote(dir))/extra.bin \
            && tar czf \(Shell.quote(path)) -C \(Shell.quote(dir)) content.txt extra.bin && rm -rf \(Shell.quote(dir))
            """)
        return path
    }
}

/// The package root, from this file's path (Tests/MountTests/<file>).
let crashTestPackageRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path
