import Foundation

/// Unmounts a test's mount point, lazily if it is busy, so that a failed test leaves no mount.
func unmountTestMount(_ path: String) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "fusermount3 -u -z '\(path)' 2>/dev/null || umount -l '\(path)'"]
    try? process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
