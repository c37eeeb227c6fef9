/// Where the archive of a payload lies in a file, and how libarchive must read it.
/// For `.debData` the ar container is parsed once (in pure Swift) to find the
/// `data.tar*` member; only that byte range is handed to libarchive.
/// The file is opened once, here, and every reader of the location shares that descriptor: the
/// payload of a package deleted while a reader is open stays readable, as an unlinked file does.
struct PayloadLocation: Sendable {
    let path: String
    let container: PayloadContainer
    let start: Int64
    let length: Int64?
    private let file: FileBytes

    init(path: String, container: PayloadContainer) throws {
        self.path = path
        self.container = container
        file = try FileBytes(path: path)
        if container == .debData {
            let layout = try DebLayout(reader: file)
            start = Int64(layout.data.offset)
            length = Int64(layout.data.size)
        } else {
            start = 0
            length = nil
        }
    }

    var format: String { container.formatName }

    /// A new libarchive reader positioned before the first header. `wholePass`: for one pass over
    /// the whole payload (a listing), an xz-compressed tar is decoded a block per CPU.
    func open(wholePass: Bool = false) throws -> ArchiveHandle {
        let range = try FileRange(file: file, path: path, start: start, length: length)
        switch container {
        case .rpm: return try ArchiveHandle(file: range, format: format, reads: .cpio, rpm: true)
        case .tar, .debData: return try ArchiveHandle(file: range, format: format, reads: .tar, threadedXZ: wholePass)
        case .zip: return try ArchiveHandle(file: range, format: format, reads: .zip)
        }
    }
}
