/// The files of a deb's control.tar that pkgfs keeps: `control`, `conffiles`, `md5sums`,
/// plus the names of all members (maintainer scripts, triggers, ...).
///
/// control.tar is small, so it is read from memory through libarchive (gzip, xz, zstd,
/// bzip2, lzma or uncompressed). To stay small it is capped: at most
/// `DebControlTar.maxSize` (16 MiB) compressed, at most the same in declared member sizes
/// (checked from the headers before any data is decompressed), and at most
/// `DebControlTar.maxEntries` members. Exceeding a cap is `FormatError.limitExceeded`.
struct DebControlTar {
    static let maxSize = 16 << 20
    static let maxEntries = 10_000
    static let format = "deb control.tar"

    var names: [String] = []
    var control: [UInt8]?
    var conffiles: [UInt8]?
    var md5sums: [UInt8]?

    init(reader: some ByteReader, member: ArMember) throws {
        guard member.size <= DebControlTar.maxSize else {
            throw FormatError.limitExceeded(what: "size of \(member.name)", limit: DebControlTar.maxSize)
        }
        let bytes = try reader.read(at: member.offset, length: member.size)
        let archive = try ArchiveHandle(bytes: bytes, format: DebControlTar.format, reads: .tar)
        var declared: Int64 = 0
        var index = 0
        while let entry = try archive.nextHeader() {
            let header = PayloadHeader(entry: entry, index: index)
            index += 1
            if index > DebControlTar.maxEntries {
                throw FormatError.limitExceeded(what: "number of entries in \(member.name)",
                                                limit: DebControlTar.maxEntries)
            }
            declared += max(0, header.size ?? 0)
            if declared > Int64(DebControlTar.maxSize) {
                throw FormatError.limitExceeded(what: "total size of the files in \(member.name)",
                                                limit: DebControlTar.maxSize)
            }
            guard let name = try PayloadPath.normalize(header.rawPath, format: DebControlTar.format,
                                                       index: header.index) else {
                try archive.skipData()
                continue
            }
            names.append(name)
            guard header.fileType == PayloadHeader.regular, header.hardlink == nil,
                  ["control", "conffiles", "md5sums"].contains(name) else {
                try archive.skipData()
                continue
            }
            let data = try DebControlTar.readData(archive, declared: header.size ?? 0, name: name)
            switch name {
            case "control": control = data
            case "conffiles": conffiles = data
            default: md5sums = data
            }
        }
    }

    private static func readData(_ archive: ArchiveHandle, declared: Int64, name: String) throws -> [UInt8] {
        var out: [UInt8] = []
        let chunk = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try archive.readData(buffer, count: chunk)
            if n == 0 { break }
            out.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: n))
            if out.count > maxSize || Int64(out.count) > declared {
                throw FormatError.limitExceeded(what: "decompressed size of \(name) in control.tar",
                                                limit: Int(min(declared, Int64(maxSize))))
            }
        }
        return out
    }
}
