/// One paragraph of a Debian control file (deb822 / RFC-822 style), fields in file order.
///
/// - `Name: value`; a line starting with a space or tab continues the previous field;
/// - a value is kept verbatim as `dpkg-deb -f` prints it: the first line without the
///   surrounding whitespace, then each continuation line (with its leading space) on its
///   own line; trailing whitespace of lines is dropped;
/// - field names are matched case-insensitively (`field("depends")`);
/// - lines starting with `#` are comments; blank lines separate paragraphs, and a binary
///   package's control file must have exactly one.
public struct ControlParagraph: Sendable, Codable, Equatable {
    public struct Field: Sendable, Codable, Equatable {
        public var name: String
        public var value: String
    }

    public var fields: [Field]

    public init(fields: [Field]) { self.fields = fields }

    /// The verbatim value of a field, name compared case-insensitively.
    public func field(_ name: String) -> String? {
        let key = name.lowercased()
        return fields.first { $0.name.lowercased() == key }?.value
    }

    /// Parses text holding exactly one paragraph (blank lines around it are fine).
    public static func parse(_ text: String, format: String = "deb control") throws -> ControlParagraph {
        var fields: [Field] = []
        var seen: Set<String> = []
        var paragraphEnded = false
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.last == "\r" { line.removeLast() }
            while let last = line.last, last == " " || last == "\t" { line.removeLast() }
            if line.isEmpty {
                if !fields.isEmpty { paragraphEnded = true }
                continue
            }
            if line.first == "#" { continue }
            if line.first == " " || line.first == "\t" {
                guard !fields.isEmpty, !paragraphEnded else {
                    throw FormatError.invalid(format: format,
                                              reason: "line \(lineNumber) continues no field")
                }
                fields[fields.count - 1].value += "\n" + line
                continue
            }
            if paragraphEnded {
                throw FormatError.invalid(format: format,
                                          reason: "more than one paragraph (line \(lineNumber))")
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw FormatError.invalid(format: format,
                                          reason: "line \(lineNumber) is not 'Field: value': '\(line.prefix(80))'")
            }
            let name = String(line[..<colon])
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && !$0.isWhitespace }),
                  name.first != "-" else {
                throw FormatError.invalid(format: format,
                                          reason: "bad field name '\(name.prefix(80))' on line \(lineNumber)")
            }
            guard seen.insert(name.lowercased()).inserted else {
                throw FormatError.invalid(format: format,
                                          reason: "field '\(name)' appears twice (line \(lineNumber))")
            }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            fields.append(Field(name: name, value: String(value)))
        }
        guard !fields.isEmpty else {
            throw FormatError.invalid(format: format, reason: "no fields")
        }
        return ControlParagraph(fields: fields)
    }
}
