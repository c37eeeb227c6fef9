import XCTest
@testable import PkgfsHTTP

/// The streaming multipart parser: any chunking gives the same parts, and a delimiter split
/// across chunks is still found.
final class MultipartParserTests: XCTestCase {
    static let boundary = "------------------------d74496d66958873e"

    static func body(file: [UInt8]) -> [UInt8] {
        var body = Array("preamble\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8)
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a-1.0-1.el7.x86_64.rpm\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += file
        body += Array("\r\n--\(boundary)--\r\nepilogue".utf8)
        return body
    }

    func parse(_ body: [UInt8], chunk: (Int) -> Int) throws -> (names: [String?], files: [String?], file: [UInt8], complete: Bool) {
        var parser = MultipartParser(boundary: Self.boundary)
        var names: [String?] = [], files: [String?] = [], data: [[UInt8]] = [], open = false
        var offset = 0, index = 0
        while offset < body.count {
            let n = min(body.count - offset, max(1, chunk(index)))
            try body[offset..<(offset + n)].withUnsafeBytes { bytes in
                try parser.feed(bytes) { event in
                    switch event {
                    case let .partBegin(headers):
                        XCTAssertFalse(open)
                        open = true
                        names.append(headers.name)
                        files.append(headers.fileName)
                        data.append([])
                    case let .partData(bytes):
                        XCTAssertTrue(open)
                        data[data.count - 1] += Array(bytes)
                    case .partEnd:
                        open = false
                    }
                }
            }
            offset += n
            index += 1
        }
        return (names, files, data.last ?? [], parser.isComplete)
    }

    func testAnyChunkingGivesTheSameParts() throws {
        // File bytes that look like a delimiter's start, CRs and LFs, to tempt a false match.
        var file = Array("\r\n--\(Self.boundary.dropLast())x\r\n-\r".utf8)
        file += (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let body = Self.body(file: file)
        var generator = SystemRandomNumberGenerator()
        for chunking in [{ (_: Int) in 1 }, { _ in 7 }, { _ in 64 }, { _ in 100_000 }, { _ in Int.random(in: 1...300, using: &generator) }] {
            let result = try parse(body, chunk: chunking)
            XCTAssertEqual(result.names, ["note", "file"])
            XCTAssertEqual(result.files, [nil, "a-1.0-1.el7.x86_64.rpm"])
            XCTAssertEqual(result.file, file)
            XCTAssertTrue(result.complete)
        }
    }

    func testTruncatedBodyIsIncomplete() throws {
        let body = Self.body(file: Array("abc".utf8))
        let result = try parse(Array(body.prefix(body.count - 20)), chunk: { _ in 5 })
        XCTAssertFalse(result.complete)
    }

    /// A backslash escapes a quote or a backslash only: a Windows client path keeps its
    /// separators, for the upload to cut to the last part.
    func testQuotedFileNames() {
        let cases: [(String, String)] = [
            (#"form-data; name="file"; filename="a-1.0-1.el7.x86_64.rpm""#, "a-1.0-1.el7.x86_64.rpm"),
            (#"form-data; name="file"; filename="C:\Users\x\delta-2.0.tar.gz""#, #"C:\Users\x\delta-2.0.tar.gz"#),
            (#"form-data; name="file"; filename="say \"hi\".tar.gz""#, #"say "hi".tar.gz"#),
            (#"form-data; name="file"; filename="back\\slash.tar.gz""#, #"back\slash.tar.gz"#),
            (#"form-data; name="file"; filename=plain.tar.gz"#, "plain.tar.gz"),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(MultipartPartHeaders.parameter("filename", in: value), expected, value)
        }
    }

    /// Header bytes that are not UTF-8 (a file name in Latin-1) are refused, not repaired to
    /// U+FFFD; so is a header block over the limit that comes in one piece.
    func testHeadersNotUTF8OrTooLongAreRefused() {
        var latin1 = Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"caf".utf8)
        latin1 += [0xE9] + Array("-1.0-1.el7.x86_64.tar.gz\"\r\n\r\nbytes\r\n--\(Self.boundary)--\r\n".utf8)
        XCTAssertThrowsError(try parse(latin1, chunk: { _ in 100_000 })) { error in
            XCTAssertTrue("\(error)".contains("not UTF-8"), "\(error)")
        }
        let long = Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.tar.gz\"\r\nX-Pad: \(String(repeating: "p", count: 20_000))\r\n\r\nbytes\r\n--\(Self.boundary)--\r\n".utf8)
        XCTAssertThrowsError(try parse(long, chunk: { _ in 100_000 })) { error in
            XCTAssertTrue("\(error)".contains("exceed"), "\(error)")
        }
    }

    func testBoundaryFromContentType() {
        XCTAssertEqual(MultipartParser.boundary(contentType: "multipart/form-data; boundary=abc"), "abc")
        XCTAssertEqual(MultipartParser.boundary(contentType: "Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b")
        XCTAssertNil(MultipartParser.boundary(contentType: "application/octet-stream"))
        XCTAssertNil(MultipartParser.boundary(contentType: "multipart/form-data"))
    }
}
