/// A streaming multipart/form-data parser (RFC 7578): bytes are fed as they arrive and each
/// part's body is handed out in pieces, so an upload of any size is never held in memory.
/// Only the last `delimiter.count - 1` bytes are kept back, in case a delimiter straddles two chunks.
struct MultipartParser {
    enum Event {
        case partBegin(MultipartPartHeaders)
        case partData(UnsafeRawBufferPointer)
        case partEnd
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private enum State { case preamble, afterDelimiter, headers, body, done }

    /// `CRLF--boundary`; the stream is parsed as if it began with a CRLF, so the first
    /// delimiter line matches too.
    private let delimiter: [UInt8]
    private var buffer: [UInt8] = [13, 10]
    private var position = 0
    private var state = State.preamble
    static let maximumHeaderBytes = 16 * 1024

    var isComplete: Bool { state == .done }

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// The boundary of a `multipart/form-data; boundary=...` content type, or nil.
    static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = parts.first, type.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parts.dropFirst() {
            guard let eq = parameter.firstIndex(of: "=") else { continue }
            if parameter[..<eq].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" {
                var value = parameter[parameter.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                return value.isEmpty || value.count > 70 ? nil : value
            }
        }
        return nil
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) throws {
        if state == .done { return }  // the epilogue is ignored
        buffer.append(contentsOf: bytes)
        try process(handle)
        if position > 0 {
            buffer.removeSubrange(0..<position)
            position = 0
        }
    }

    private mutating func process(_ handle: (Event) throws -> Void) throws {
        while true {
            switch state {
            case .done:
                position = buffer.count
                return
            case .preamble:
                if let at = find(delimiter, from: position) {
                    position = at + delimiter.count
                    state = .afterDelimiter
                } else {
                    position = max(position, buffer.count - (delimiter.count - 1))
                    return
                }
            case .afterDelimiter:
                // `--` closes the body; otherwise optional whitespace, then the CRLF before the headers.
                guard let crlf = find([13, 10], from: position) else {
                    if buffer.count - position >= 2, buffer[position] == 45, buffer[position + 1] == 45 {
                        state = .done
                        continue
                    }
                    if buffer.count - position > 256 { throw Failure(description: "malformed multipart delimiter line") }
                    return
                }
                if crlf - position >= 2, buffer[position] == 45, buffer[position + 1] == 45 {
                    state = .done
                    continue
                }
                guard buffer[position..<crlf].allSatisfy({ $0 == 32 || $0 == 9 }) else {
                    throw Failure(description: "malformed multipart delimiter line")
                }
                position = crlf  // the headers block starts with this CRLF
                state = .headers
            case .headers:
                guard let end = find([13, 10, 13, 10], from: position) else {
                    if buffer.count - position > Self.maximumHeaderBytes {
                        throw Failure(description: "multipart part headers exceed \(Self.maximumHeaderBytes) bytes")
                    }
                    return
                }
                // The limit holds also for a header block that came in one piece.
                if end - position > Self.maximumHeaderBytes {
                    throw Failure(description: "multipart part headers exceed \(Self.maximumHeaderBytes) bytes")
                }
                // Not repaired to U+FFFD: a file name the mount refuses (not UTF-8) is refused here too.
                guard let text = end > position + 2 ? String(validating: buffer[(position + 2)..<end], as: UTF8.self) : "" else {
                    throw Failure(description: "multipart part headers are not UTF-8; a file name must be UTF-8")
                }
                position = end + 4
                state = .body
                try handle(.partBegin(MultipartPartHeaders(text)))
            case .body:
                if let at = find(delimiter, from: position) {
                    try emit(position, at, handle)
                    position = at + delimiter.count
                    state = .afterDelimiter
                    try handle(.partEnd)
                } else {
                    let safe = buffer.count - (delimiter.count - 1)
                    if safe > position {
                        try emit(position, safe, handle)
                        position = safe
                    }
                    return
                }
            }
        }
    }

    private func emit(_ from: Int, _ to: Int, _ handle: (Event) throws -> Void) throws {
        guard to > from else { return }
        try buffer.withUnsafeBytes { raw in
            try handle(.partData(UnsafeRawBufferPointer(rebasing: raw[from..<to])))
        }
    }

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        let count = buffer.count, length = needle.count
        guard length > 0, count - start >= length else { return nil }
        return buffer.withUnsafeBufferPointer { hay -> Int? in
            needle.withUnsafeBufferPointer { pin -> Int? in
                let first = pin[0]
                var i = start
                let last = count - length
                while i <= last {
                    if hay[i] == first {
                        var j = 1
                        while j < length && hay[i + j] == pin[j] { j += 1 }
                        if j == length { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }
}

/// The headers of one part; only Content-Disposition matters for form-data.
struct MultipartPartHeaders {
    var name: String?
    var fileName: String?

    init(_ text: String) {
        for line in text.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":"),
                  line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == "content-disposition" else { continue }
            let value = String(line[line.index(after: colon)...])
            name = Self.parameter("name", in: value)
            fileName = Self.parameter("filename", in: value)
        }
    }

    /// A `key="value"` or `key=value` parameter of a Content-Disposition value.
    static func parameter(_ key: String, in value: String) -> String? {
        var rest = Substring(value)
        while let semicolon = rest.firstIndex(of: ";") {
            rest = rest[rest.index(after: semicolon)...].drop(while: { $0 == " " || $0 == "\t" })
            guard let eq = rest.firstIndex(of: "=") else { continue }
            guard rest[..<eq].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            var after = rest[rest.index(after: eq)...].drop(while: { $0 == " " })
            if after.first == "\"" {
                after = after.dropFirst()
                var result = ""
                // A backslash escapes only a quote or a backslash: browsers send a Windows
                // client path (C:\Users\x\f.rpm) as it is, which the upload cuts to its last part.
                var characters = after.makeIterator()
                while let ch = characters.next(), ch != "\"" {
                    guard ch == "\\" else { result.append(ch); continue }
                    guard let next = characters.next() else { result.append(ch); break }
                    if next != "\"" && next != "\\" { result.append(ch) }
                    result.append(next)
                }
                return result
            }
            return String(after.prefix(while: { $0 != ";" })).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
