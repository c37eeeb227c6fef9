import Foundation
import Synchronization
import PkgfsFUSE
import XCTest

/// The request loop, on a real mount of a small filesystem whose lookup of "a/slow" blocks until
/// the test lets it go: quick requests are answered on the polling thread, and one that turns
/// out slow must not hold up the rest of the mount. (The other file is in another directory:
/// the kernel itself may serialize lookups within one.)
final class RequestLoopTests: XCTestCase {
    private var mountPoint = ""
    private var fs: GateFileSystem!
    private var served: DispatchSemaphore!

    override func setUpWithError() throws {
        mountPoint = try makeTestMountPoint("pkgfs-loop")
    }

    override func tearDown() {
        fs?.releaseSlow()
        if served != nil {
            _ = unmountTestMount(mountPoint)
            XCTAssertEqual(served.wait(timeout: .now() + 20), .success, "the loop did not return after the unmount")
        }
        rmdir(mountPoint)
    }

    private func mount(busyPoll: Int) throws {
        fs = GateFileSystem()
        served = try serveTestMount(fs, at: mountPoint, name: "loop-test", maxThreads: 4, busyPoll: busyPoll)
    }

    func testASlowLookupDoesNotHoldUpTheMount() throws {
        try mount(busyPoll: RequestLoop.defaultSpinMicroseconds)
        try assertServedAroundTheSlowLookup()
    }

    func testASlowLookupDoesNotHoldUpTheMountWithoutBusyPolling() throws {
        try mount(busyPoll: 0)
        try assertServedAroundTheSlowLookup()
    }

    func testASlowReadDoesNotHoldUpTheMount() throws {
        try mount(busyPoll: RequestLoop.defaultSpinMicroseconds)
        let readDone = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var readCount = -1
        let path = mountPoint
        Thread.detachNewThread {
            let fd = open("\(path)/b/held", O_RDONLY)
            var buffer = [UInt8](repeating: 0, count: 16)
            readCount = fd >= 0 ? read(fd, &buffer, 16) : -1
            if fd >= 0 { close(fd) }
            readDone.signal()
        }
        assertStatsAnsweredWhile("the read of b/held", heldBy: fs.heldReadEntered)
        XCTAssertEqual(readDone.wait(timeout: .now() + 20), .success)
        XCTAssertEqual(readCount, 7)
    }

    func testManyCallersAtOnceAreAllAnswered() throws {
        try mount(busyPoll: RequestLoop.defaultSpinMicroseconds)
        let results = Results()
        let path = mountPoint
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<500 {
                var st = stat()
                let rc = stat("\(path)/b/fast", &st)
                results.add(rc == 0 && st.st_ino == GateFileSystem.fastIno && st.st_size == 7)
            }
            let fd = open("\(path)/b/fast", O_RDONLY)
            var buffer = [UInt8](repeating: 0, count: 16)
            let n = fd >= 0 ? read(fd, &buffer, 16) : -1
            if fd >= 0 { close(fd) }
            results.add(n == 7 && String(decoding: buffer[0..<7], as: UTF8.self) == "quick\n\n")
        }
        XCTAssertEqual(results.failures, 0, "\(results.failures) of \(results.total) stats or reads went wrong")
        XCTAssertEqual(results.total, 8 * 501)
    }

    /// Directories that list quickly are listed by the polling thread itself; one whose listing
    /// turns out slow must not hold up the mount either.
    func testAQuickListingIsListed() throws {
        try mount(busyPoll: RequestLoop.defaultSpinMicroseconds)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(mountPoint)/b").sorted(), ["fast", "held"])
        XCTAssertGreaterThan(fs.quickListingsAsked, 0, "the loop never asked whether b lists quickly")
    }

    func testASlowQuickListingDoesNotHoldUpTheMount() throws {
        try mount(busyPoll: RequestLoop.defaultSpinMicroseconds)
        let listed = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var names: [String] = []
        let path = mountPoint
        Thread.detachNewThread {
            names = (try? FileManager.default.contentsOfDirectory(atPath: "\(path)/a")) ?? ["(failed)"]
            listed.signal()
        }
        assertStatsAnsweredWhile("the listing of a", heldBy: fs.slowEntered)
        XCTAssertEqual(listed.wait(timeout: .now() + 20), .success)
        XCTAssertEqual(names, ["slow"])
    }

    /// Waits for the held request `what` to arrive, checks that stats of another file are
    /// answered while it is held, then lets it go.
    private func assertStatsAnsweredWhile(_ what: String, heldBy entered: DispatchSemaphore) {
        XCTAssertEqual(entered.wait(timeout: .now() + 20), .success, "\(what) never arrived")
        for _ in 0..<50 {
            var st = stat()
            XCTAssertEqual(stat("\(mountPoint)/b/fast", &st), 0, "stat while \(what) is held")
        }
        XCTAssertFalse(fs.slowReleased, "\(what) was let go before the stats were answered")
        fs.releaseSlow()
    }

    private func assertServedAroundTheSlowLookup() throws {
        let slowDone = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var slowResult: Int32 = -1
        let path = mountPoint
        Thread.detachNewThread {
            var st = stat()
            slowResult = stat("\(path)/a/slow", &st)
            slowDone.signal()
        }
        XCTAssertEqual(fs.slowEntered.wait(timeout: .now() + 20), .success, "the lookup of slow never arrived")

        let fastDone = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var fastResult: Int32 = -1
        Thread.detachNewThread {
            var st = stat()
            fastResult = stat("\(path)/b/fast", &st)
            fastDone.signal()
        }
        XCTAssertEqual(fastDone.wait(timeout: .now() + 20), .success,
                       "stat of another file waited for the slow lookup")
        XCTAssertEqual(fastResult, 0)
        XCTAssertFalse(fs.slowReleased, "the slow lookup was let go before the other stat was answered")

        fs.releaseSlow()
        XCTAssertEqual(slowDone.wait(timeout: .now() + 20), .success)
        XCTAssertEqual(slowResult, 0)
    }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var total = 0
    private(set) var failures = 0

    func add(_ ok: Bool) {
        lock.withLock {
            total += 1
            if !ok { failures += 1 }
        }
    }
}

private final class GateListing: DirectoryListing, @unchecked Sendable {
    // @unchecked: immutable.
    private let names: [String]
    private let modes: [UInt32]
    private let loading: () -> Void

    init(names: [String], modes: [UInt32], loading: @escaping () -> Void) {
        self.names = names
        self.modes = modes
        self.loading = loading
    }

    func load() throws { loading() }
    var count: Int { names.count }
    var mayBeCached: Bool { false }
    func entry(at index: Int) -> DirectoryEntry {
        DirectoryEntry(name: names[index], ino: DirectoryEntry.unknownIno, mode: modes[index])
    }
    func entryPlus(at index: Int) -> Entry? { nil }
}

/// Directories a and b under the root; a/slow, whose lookup blocks until `releaseSlow()`;
/// b/fast, and b/held, whose reads block until then.
private final class GateFileSystem: LowLevelFileSystem, @unchecked Sendable {
    static let slowIno: UInt64 = 2
    static let fastIno: UInt64 = 3
    static let aIno: UInt64 = 4
    static let bIno: UInt64 = 5
    static let heldIno: UInt64 = 6
    let slowEntered = DispatchSemaphore(value: 0)
    let heldReadEntered = DispatchSemaphore(value: 0)
    private let gate = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var released = false

    var slowReleased: Bool { lock.withLock { released } }

    func releaseSlow() {
        let first = lock.withLock { () -> Bool in
            defer { released = true }
            return !released
        }
        if first { gate.signal() }
    }

    private func entry(_ ino: UInt64) -> Entry {
        let isDirectory = ino == 1 || ino == Self.aIno || ino == Self.bIno
        let mode = isDirectory ? UInt32(S_IFDIR) | 0o755 : UInt32(S_IFREG) | 0o444
        // Nothing cached: every stat is a lookup the loop has to answer.
        return Entry(attributes: Attributes(ino: ino, mode: mode, nlink: isDirectory ? 2 : 1, size: isDirectory ? 0 : 7),
                     entryTimeout: 0, attributeTimeout: 0)
    }

    func lookup(parent: UInt64, name: String, caller: Caller) throws -> Entry {
        switch (parent, name) {
        case (1, "a"):
            return entry(Self.aIno)
        case (1, "b"):
            return entry(Self.bIno)
        case (Self.aIno, "slow"):
            slowEntered.signal()
            _ = gate.wait(timeout: .now() + 60)
            gate.signal()
            return entry(Self.slowIno)
        case (Self.bIno, "fast"):
            return entry(Self.fastIno)
        case (Self.bIno, "held"):
            return entry(Self.heldIno)
        default:
            throw FSError(ENOENT)
        }
    }

    func getattr(_ ino: UInt64) throws -> Entry {
        guard (1...6).contains(ino) else { throw FSError(ENOENT) }
        return entry(ino)
    }

    /// a lists slowly (its listing waits for `releaseSlow()`) though it claims to list quickly;
    /// so does b, which really does.
    func opendir(_ ino: UInt64) throws -> any DirectoryListing {
        switch ino {
        case Self.aIno:
            return GateListing(names: ["slow"], modes: [UInt32(S_IFREG)]) { [self] in
                slowEntered.signal()
                _ = gate.wait(timeout: .now() + 60)
                gate.signal()
            }
        case Self.bIno:
            return GateListing(names: ["fast", "held"], modes: [UInt32(S_IFREG), UInt32(S_IFREG)]) {}
        default:
            throw FSError(EACCES)
        }
    }

    private let asked = Mutex(0)
    var quickListingsAsked: Int { asked.withLock { $0 } }

    func listsQuickly(_ ino: UInt64) -> Bool {
        asked.withLock { $0 += 1 }
        return ino == Self.aIno || ino == Self.bIno
    }

    func open(_ ino: UInt64, flags: Int32, caller: Caller) throws -> OpenReply {
        guard ino == Self.fastIno || ino == Self.heldIno else { throw FSError(EACCES) }
        return OpenReply(handle: 1)
    }

    func read(_ ino: UInt64, handle: UInt64, offset: Int64, size: Int) throws -> [UInt8] {
        if ino == Self.heldIno {
            heldReadEntered.signal()
            _ = gate.wait(timeout: .now() + 60)
            gate.signal()
        }
        let bytes = Array("quick\n\n".utf8)
        guard offset < bytes.count else { return [] }
        return Array(bytes[Int(offset)..<min(bytes.count, Int(offset) + size)])
    }

    func release(_ ino: UInt64, handle: UInt64) {}

    func statfs() -> FilesystemStatistics {
        FilesystemStatistics(blockSize: 4096, blocks: 1, freeBlocks: 0, files: 3, freeFiles: 0)
    }
}
