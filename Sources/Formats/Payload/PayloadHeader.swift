import CArchive

/// What one archive header says, copied out of libarchive's entry before the next call.
struct PayloadHeader {
    var index: Int
    var rawPath: String
    var fileType: UInt32
    var mode: UInt32
    /// nil when the archive does not declare the size (streamed zip entries).
    var size: Int64?
    var mtime: Int64
    var symlink: String?
    var hardlink: String?
    var uid: Int64?
    var gid: Int64?
    var userName: String?
    var groupName: String?

    static let typeMask: UInt32 = 0o170000
    static let regular: UInt32 = 0o100000
    static let directory: UInt32 = 0o040000
    static let symbolicLink: UInt32 = 0o120000

    init(index: Int, rawPath: String, fileType: UInt32, mode: UInt32, size: Int64?, mtime: Int64,
         symlink: String?, hardlink: String?, uid: Int64?, gid: Int64?,
         userName: String?, groupName: String?) {
        self.index = index
        self.rawPath = rawPath
        self.fileType = fileType
        self.mode = mode
        self.size = size
        self.mtime = mtime
        self.symlink = symlink
        self.hardlink = hardlink
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
    }

    init(entry: OpaquePointer, index: Int) {
        self.index = index
        self.rawPath = PayloadHeader.string(archive_entry_pathname_utf8(entry))
            ?? PayloadHeader.string(archive_entry_pathname(entry)) ?? ""
        self.fileType = UInt32(archive_entry_filetype(entry))
        self.mode = UInt32(archive_entry_mode(entry))
        self.size = archive_entry_size_is_set(entry) != 0 ? Int64(archive_entry_size(entry)) : nil
        self.mtime = Int64(archive_entry_mtime(entry))
        self.symlink = PayloadHeader.string(archive_entry_symlink_utf8(entry))
            ?? PayloadHeader.string(archive_entry_symlink(entry))
        self.hardlink = PayloadHeader.string(archive_entry_hardlink_utf8(entry))
            ?? PayloadHeader.string(archive_entry_hardlink(entry))
        self.uid = Int64(archive_entry_uid(entry))
        self.gid = Int64(archive_entry_gid(entry))
        self.userName = PayloadHeader.string(archive_entry_uname_utf8(entry))
            ?? PayloadHeader.string(archive_entry_uname(entry))
        self.groupName = PayloadHeader.string(archive_entry_gname_utf8(entry))
            ?? PayloadHeader.string(archive_entry_gname(entry))
        if userName?.isEmpty == true { userName = nil }
        if groupName?.isEmpty == true { groupName = nil }
    }

    private static func string(_ p: UnsafePointer<CChar>?) -> String? {
        guard let p else { return nil }
        if let valid = String(validatingCString: p) { return valid }
        var count = 0
        while p[count] != 0 { count += 1 }
        return UnsafeRawPointer(p).withMemoryRebound(to: UInt8.self, capacity: count) {
            PayloadHeader.keepingBytes(UnsafeBufferPointer(start: $0, count: count))
        }
    }

    /// A member name whose bytes are not all UTF-8 (a Latin-1 tarball, say) as a String that
    /// keeps names apart: valid sequences as they are, each other byte `b` (always ≥ 0x80) as
    /// the private-use scalar U+EF00 + b (U+EF80…U+EFFF, MirBSD's OPTU-8 mapping). Repairing to
    /// U+FFFD instead would merge `a\xff` and `a\xfe` into one path and lose a member.
    /// Symlink and hard-link targets go through the same mapping, so they still find their member.
    static func keepingBytes<C: Collection>(_ bytes: C) -> String where C.Element == UInt8, C.Index == Int {
        var scalars = String.UnicodeScalarView()
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let lead = bytes[i]
            let length = lead < 0x80 ? 1 : (0xC2...0xDF).contains(lead) ? 2
                : (0xE0...0xEF).contains(lead) ? 3 : (0xF0...0xF4).contains(lead) ? 4 : 0
            if length > 0, length <= bytes.endIndex - i,
               let sequence = String(validating: bytes[i..<(i + length)], as: UTF8.self) {
                scalars.append(contentsOf: sequence.unicodeScalars)
                i += length
            } else {
                scalars.append(Unicode.Scalar(0xEF00 + UInt32(lead))!)
                i += 1
            }
        }
        return String(scalars)
    }
}
