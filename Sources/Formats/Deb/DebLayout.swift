/// The ar members of a `.deb` that matter: `debian-binary` (first, "2.x"), then the
/// first `control.tar[.gz|.xz|.zst|.bz2|.lzma]` and `data.tar[...]` members. Members
/// whose name starts with `_`, and anything after the data member, are ignored, as dpkg
/// does; any other unknown member is an error.
struct DebLayout: Sendable {
    let members: [ArMember]
    let formatVersion: String
    let control: ArMember
    let controlCompression: DebCompression
    let data: ArMember
    let dataCompression: DebCompression

    init(reader: some ByteReader) throws {
        let members = try ArArchive.members(of: reader)
        guard let first = members.first, first.name == "debian-binary" else {
            throw FormatError.invalid(format: "deb",
                                      reason: "the first ar member is '\(members.first?.name ?? "(none)")', not 'debian-binary'")
        }
        guard first.size <= 64 else {
            throw FormatError.invalid(format: "deb", reason: "debian-binary is \(first.size) bytes long")
        }
        let text = String(decoding: try reader.read(at: first.offset, length: first.size), as: UTF8.self)
        let version = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "2", !parts[1].isEmpty,
              parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw FormatError.invalid(format: "deb",
                                      reason: "unsupported format version '\(version)' in debian-binary (expected 2.x)")
        }
        var control: (ArMember, DebCompression)?
        var data: (ArMember, DebCompression)?
        for m in members.dropFirst() {
            if m.name.hasPrefix("_") || data != nil { continue }
            if let c = DebCompression(member: m.name, prefix: "control.tar") {
                if control == nil { control = (m, c) }
            } else if let c = DebCompression(member: m.name, prefix: "data.tar") {
                if data == nil { data = (m, c) }
            } else {
                throw FormatError.invalid(format: "deb", reason: "unexpected ar member '\(m.name)'")
            }
        }
        guard let control else {
            throw FormatError.invalid(format: "deb", reason: "no control.tar member")
        }
        guard let data else {
            throw FormatError.invalid(format: "deb", reason: "no data.tar member")
        }
        self.members = members
        self.formatVersion = version
        self.control = control.0
        self.controlCompression = control.1
        self.data = data.0
        self.dataCompression = data.1
    }
}
