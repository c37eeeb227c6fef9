import Foundation

/// The bytes the kernel's cache of a directory listing takes, followed as the listing's names are
/// sent (fs/fuse/readdir.c, `fuse_add_dirent_to_cache`): each name a `fuse_dirent` of 24 bytes
/// and the name, 8-byte aligned, on the page it fits in whole, the rest of a page left empty.
///
/// When the whole listing ends exactly at a page boundary, the kernel, asked by a reader for a
/// position not among the cached names (a reader of a listing of its own), takes the end of that
/// page for the end of the directory: that reader's listing ends early.
struct CachedListingSize {
    private(set) var bytes = 0
    /// The names counted so far ("." and ".." first): a page sent again is counted once.
    private(set) var names = 0

    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Counts the name at `position`, `length` bytes long, if it is the next one.
    mutating func add(position: Int, nameLength length: Int) {
        guard position == names else { return }
        let record = (24 + length + 7) & ~7
        if bytes % Self.pageSize + record > Self.pageSize { bytes = (bytes / Self.pageSize + 1) * Self.pageSize }
        bytes += record
        names += 1
    }

    /// Counts the names from `position` on, with these lengths.
    mutating func add(from position: Int, nameLengths: [Int]) {
        for (i, length) in nameLengths.enumerated() { add(position: position + i, nameLength: length) }
    }

    var endsOnPageBoundary: Bool { bytes > 0 && bytes % Self.pageSize == 0 }
}
