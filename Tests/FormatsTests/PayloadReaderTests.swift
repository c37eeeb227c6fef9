import Foundation
import XCTest
@testable import PkgfsFormats

/// The cursor cache and the argument checks of `PayloadReader`.
final class PayloadReaderTests: XCTestCase {
    /// Built once for the class: six files (one of 3 MiB) in a tar.xz.
    struct Fixture {
        let tmp: TempDir
        let archive: String
        let list: [PayloadEntry]
        let contents: [String: [UInt8]]
    }
    nonisolated(unsafe) static var fixture: Fixture?

    var archive: String { Self.fixture!.archive }
    var list: [PayloadEntry] { Self.fixture!.list }
    var contents: [String: [UInt8]] { Self.fixture!.contents }

    override func setUpWithError() throws {
        try requireTools("tar", "xz")
        if Self.fixture != nil { return }
        let tmp = try TempDir()
        let dir = tmp.sub("tree/d")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var contents: [String: [UInt8]] = [:]
        for i in 0..<6 {
            let bytes = pseudoRandomBytes(i == 3 ? 3 * 1024 * 1024 + 5 : 1000 * (i + 1), seed: UInt64(i + 1))
            try write(bytes, to: "\(dir)/f\(i)")
            contents["d/f\(i)"] = bytes
        }
        let archive = tmp.sub("t.tar.xz")
        try sh("tar cJf \(archive) d/f0 d/f1 d/f2 d/f3 d/f4 d/f5", cwd: tmp.sub("tree"))
        Self.fixture = Fixture(tmp: tmp, archive: archive,
                               list: try listPayload(path: archive, container: .tar, limits: .default),
                               contents: contents)
    }

    override class func tearDown() { fixture = nil }

    private func entry(_ path: String) -> PayloadEntry { list.first { $0.path == path }! }

    func testSequentialReadsReuseOneCursor() throws {
        let reader = try PayloadReader(path: archive, container: .tar)
        let big = entry("d/f3")
        XCTAssertEqual(try readSequentially(reader, big, chunk: 128 * 1024), contents["d/f3"])
        let s = reader.statistics
        XCTAssertEqual(s.opens, 1)
        XCTAssertEqual(s.reuses, Int(big.size / (128 * 1024)))  // all but the first
        XCTAssertEqual(s.discarded, 0)

        // Forward skip within the entry: same cursor, bytes discarded.
        let r2 = try PayloadReader(path: archive, container: .tar)
        XCTAssertEqual(try r2.read(big, offset: 0, length: 10), Array(contents["d/f3"]![0..<10]))
        XCTAssertEqual(try r2.read(big, offset: 1_000_000, length: 10), Array(contents["d/f3"]![1_000_000..<1_000_010]))
        XCTAssertEqual(r2.statistics.opens, 1)
        XCTAssertEqual(r2.statistics.discarded, 1_000_000 - 10)
        // Backwards: reopens.
        XCTAssertEqual(try r2.read(big, offset: 5, length: 10), Array(contents["d/f3"]![5..<15]))
        XCTAssertEqual(r2.statistics.opens, 2)
        // Now two cursors; a read after both continues the furthest one.
        XCTAssertEqual(try r2.read(big, offset: 2_000_000, length: 3), Array(contents["d/f3"]![2_000_000..<2_000_003]))
        XCTAssertEqual(r2.statistics.opens, 2)
        r2.closeCursors()
        XCTAssertEqual(try r2.read(big, offset: 2_000_003, length: 3), Array(contents["d/f3"]![2_000_003..<2_000_006]))
        XCTAssertEqual(r2.statistics.opens, 3)
    }

    func testReadingInArchiveOrderNeverRestarts() throws {
        let reader = try PayloadReader(path: archive, container: .tar)
        for e in list where e.hasData {
            XCTAssertEqual(try reader.readAll(e), contents[e.path], e.path)
        }
        XCTAssertEqual(reader.statistics.opens, 1)
        // Backwards to an earlier entry: reopens.
        XCTAssertEqual(try reader.readAll(entry("d/f1")), contents["d/f1"])
        XCTAssertEqual(reader.statistics.opens, 2)
    }

    func testEdgesOfReads() throws {
        let reader = try PayloadReader(path: archive, container: .tar)
        let f0 = entry("d/f0")
        XCTAssertEqual(try reader.read(f0, offset: 990, length: 100), Array(contents["d/f0"]![990...]))
        XCTAssertEqual(try reader.read(f0, offset: 1000, length: 100), [])
        XCTAssertEqual(try reader.read(f0, offset: 5000, length: 100), [])
        XCTAssertEqual(try reader.read(f0, offset: 0, length: 0), [])
        assertFormatError(try reader.read(f0, offset: -1, length: 10))
        assertFormatError(try reader.read(f0, offset: 0, length: -1))
        assertFormatError(try reader.read(entry("d"), offset: 0, length: 10)) { e in
            XCTAssertTrue(e.description.contains("directory"), e.description)
        }
        // An entry that does not belong to this payload.
        var alien = f0
        alien.path = "d/other"
        assertFormatError(try reader.read(alien, offset: 0, length: 10)) { e in
            XCTAssertTrue(e.description.contains("not of this payload"), e.description)
        }
        var beyond = f0
        beyond.dataIndex = 99
        assertFormatError(try reader.read(beyond, offset: 0, length: 10)) { e in
            XCTAssertTrue(e.description.contains("not found"), e.description)
        }
        // No cache at all still reads correctly.
        let uncached = try PayloadReader(path: archive, container: .tar, maxCursors: 0)
        XCTAssertEqual(try readSequentially(uncached, entry("d/f2"), chunk: 1000), contents["d/f2"])
        XCTAssertEqual(uncached.statistics.opens, 3)  // the read at the end opens nothing
    }

    func testConcurrentReaders() throws {
        let reader = try PayloadReader(path: archive, container: .tar, maxCursors: 3)
        let big = entry("d/f3")
        let expected = contents["d/f3"]!
        let failures = Failures()
        let others = (0..<6).map { (entry("d/f\($0)"), contents["d/f\($0)"]!) }
        DispatchQueue.concurrentPerform(iterations: 6) { i in
            do {
                let (e, want) = i % 2 == 0 ? (big, expected) : others[i]
                let got = try readSequentially(reader, e, chunk: 128 * 1024 + i)
                if got != want { failures.add("reader \(i) read wrong bytes") }
            } catch {
                failures.add("reader \(i): \(error)")
            }
        }
        XCTAssertEqual(failures.all, [])
    }

    func testCodableEntry() throws {
        let e = entry("d/f3")
        XCTAssertEqual(try JSONDecoder().decode(PayloadEntry.self, from: JSONEncoder().encode(e)), e)
    }
}

final class Failures: @unchecked Sendable {  // guarded by lock
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
