import Foundation
import Logging
import PkgfsFUSE
import XCTest

/// A fresh directory to mount a test filesystem on; skips the test where /dev/fuse is absent.
func makeTestMountPoint(_ prefix: String) throws -> String {
    guard access("/dev/fuse", R_OK | W_OK) == 0 else {
        throw XCTSkip("/dev/fuse is absent here: mount tests need FUSE (run as root where /dev/fuse exists)")
    }
    let path = NSTemporaryDirectory() + "\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Mounts `fs` at `mountPoint` and serves it on a thread of its own; the semaphore is signalled
/// when the loop returns (after `unmountTestMount`).
func serveTestMount(_ fs: any LowLevelFileSystem, at mountPoint: String, name: String,
                    maxThreads: Int, busyPoll: Int) throws -> DispatchSemaphore {
    let session = try FuseSession(fs: fs, mountPoint: mountPoint, options: ["fsname=pkgfs-\(name)"],
                                  logger: Logger(label: name))
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        session.run(maxThreads: maxThreads, busyPollMicroseconds: busyPoll)
        done.signal()
    }
    return done
}

/// Unmounts a test's mount point, lazily if it is busy, so that a failed test leaves no mount.
func unmountTestMount(_ path: String) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "fusermount3 -u -z '\(path)' 2>/dev/null || umount -l '\(path)'"]
    try? process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
