/// What a `.deb` says about itself: its control fields (as `dpkg-deb -f` prints them), the
/// split version, the layout of the ar container, and `conffiles` / `md5sums`.
///
/// `fields` holds every field verbatim (multi-line values keep their continuation lines,
/// each starting with a space, exactly as `dpkg-deb -f pkg Field` prints); `fieldOrder`
/// has the names in file order. The typed properties are conveniences on top: relation
/// fields (Depends, ...) are folded into one line, Description is split into the synopsis
/// and the long text (leading space removed, " ." lines as empty lines).
public struct DebPackage: Sendable, Codable, Equatable {
    public var package: String
    public var version: String
    /// `version` split into epoch, upstream version and revision.
    public var parsedVersion: DebVersion
    public var architecture: String?
    public var maintainer: String?
    public var depends: String?
    public var preDepends: String?
    public var recommends: String?
    public var suggests: String?
    public var enhances: String?
    public var conflicts: String?
    public var breaks: String?
    public var provides: String?
    public var replaces: String?
    public var section: String?
    public var priority: String?
    public var homepage: String?
    /// The first line of Description.
    public var synopsis: String?
    /// The rest of Description, lines joined with "\n"; nil when there is none.
    public var longDescription: String?
    /// Installed-Size, in KiB; nil when absent or not a number.
    public var installedSize: Int?
    public var multiArch: String?
    public var source: String?
    /// `Essential: yes`.
    public var essential: Bool

    /// Every control field, verbatim, by its name as written.
    public var fields: [String: String]
    /// Field names in file order.
    public var fieldOrder: [String]

    /// Contents of `debian-binary` without the newline, e.g. "2.0".
    public var formatVersion: String
    public var controlMember: String
    public var controlCompression: DebCompression
    public var dataMember: String
    public var dataCompression: DebCompression
    /// Where data.tar lies in the .deb file.
    public var dataOffset: Int
    public var dataSize: Int
    /// Normalized names of the members of control.tar (control, md5sums, postinst, ...).
    public var controlFiles: [String]
    /// Lines of `conffiles`, when present.
    public var conffiles: [String]?
    /// `md5sums` as path → lowercase hex digest, when present (malformed lines skipped,
    /// as dpkg does not check them either).
    public var md5sums: [String: String]?

    public var epoch: Int? { parsedVersion.epoch }
    public var upstreamVersion: String { parsedVersion.upstream }
    public var revision: String? { parsedVersion.revision }

    /// A control field by name, compared case-insensitively, verbatim.
    public func field(_ name: String) -> String? {
        if let v = fields[name] { return v }
        let key = name.lowercased()
        return fields.first { $0.key.lowercased() == key }?.value
    }

    /// Parses the .deb at `path` (read with pread; only the ar headers, debian-binary and
    /// control.tar are read, never data.tar).
    public static func parse(path: String) throws -> DebPackage {
        try parse(FileBytes(path: path))
    }

    public static func parse(_ reader: some ByteReader) throws -> DebPackage {
        let layout = try DebLayout(reader: reader)
        let tar = try DebControlTar(reader: reader, member: layout.control)
        guard let controlBytes = tar.control else {
            throw FormatError.invalid(format: "deb", reason: "\(layout.control.name) has no control file")
        }
        let paragraph = try ControlParagraph.parse(String(decoding: controlBytes, as: UTF8.self))
        func value(_ name: String) -> String? { paragraph.field(name) }
        func folded(_ name: String) -> String? {
            value(name).map { v in
                v.split(separator: "\n").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
                    .joined(separator: " ")
            }
        }
        guard let package = value("Package"), !package.isEmpty else {
            throw FormatError.invalid(format: "deb control", reason: "no Package field")
        }
        guard let version = value("Version"), !version.isEmpty else {
            throw FormatError.invalid(format: "deb control", reason: "no Version field")
        }

        var synopsis: String?
        var longDescription: String?
        if let d = value("Description") {
            var lines = d.split(separator: "\n", omittingEmptySubsequences: false)
            synopsis = String(lines.removeFirst())
            if !lines.isEmpty {
                longDescription = lines.map { line -> String in
                    let body = line.dropFirst()  // the continuation space or tab
                    return body == "." ? "" : String(body)
                }.joined(separator: "\n")
            }
        }

        var fields: [String: String] = [:]
        for f in paragraph.fields { fields[f.name] = f.value }

        return DebPackage(
            package: package,
            version: version,
            parsedVersion: try DebVersion(parsing: version),
            architecture: value("Architecture"),
            maintainer: folded("Maintainer"),
            depends: folded("Depends"),
            preDepends: folded("Pre-Depends"),
            recommends: folded("Recommends"),
            suggests: folded("Suggests"),
            enhances: folded("Enhances"),
            conflicts: folded("Conflicts"),
            breaks: folded("Breaks"),
            provides: folded("Provides"),
            replaces: folded("Replaces"),
            section: value("Section"),
            priority: value("Priority"),
            homepage: value("Homepage"),
            synopsis: synopsis,
            longDescription: longDescription,
            installedSize: value("Installed-Size").flatMap { Int($0) },
            multiArch: value("Multi-Arch"),
            source: folded("Source"),
            essential: value("Essential")?.lowercased() == "yes",
            fields: fields,
            fieldOrder: paragraph.fields.map(\.name),
            formatVersion: layout.formatVersion,
            controlMember: layout.control.name,
            controlCompression: layout.controlCompression,
            dataMember: layout.data.name,
            dataCompression: layout.dataCompression,
            dataOffset: layout.data.offset,
            dataSize: layout.data.size,
            controlFiles: tar.names,
            conffiles: tar.conffiles.map(parseConffiles),
            md5sums: tar.md5sums.map(parseMd5sums))
    }

    static func parseConffiles(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            .map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    static func parseMd5sums(_ bytes: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let digest = line[..<space].lowercased()
            guard digest.count == 32, digest.allSatisfy({ $0.isHexDigit }) else { continue }
            var path = line[space...].drop { $0 == " " || $0 == "*" }
            if path.last == "\r" { path = path.dropLast() }
            guard !path.isEmpty else { continue }
            out[String(path)] = digest
        }
        return out
    }
}

fileprivate extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
