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
    var uid: Int64
    var gid: Int64
    var userName: String?
    var groupName: String?

    static let typeMask: UInt32 = 0o170000
    static let regular: UInt32 = 0o100000
    static let directory: UInt32 = 0o040000
    static let symbolicLink: UInt32 = 0o120000

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
        return String(cString: p)
    }
}
