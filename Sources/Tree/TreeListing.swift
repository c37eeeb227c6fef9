import PkgfsFUSE

/// One opendir's snapshot of a directory's children. Inode numbers are only handed out for
/// names the kernel will hold (readdirplus), never for every name of a big listing.
final class TreeListing: DirectoryListing, @unchecked Sendable {
    // @unchecked: immutable after init; `tree` is thread-safe.
    private let tree: PackageTree
    private let directory: UInt64
    private let children: [(String, Node)]

    init(tree: PackageTree, directory: UInt64, children: [(String, Node)]) {
        self.tree = tree
        self.directory = directory
        self.children = children
    }

    var count: Int { children.count }

    /// Every listing may be cached: `packageChanged` invalidates the directories a change touches.
    var mayBeCached: Bool { true }

    func entry(at index: Int) -> DirectoryEntry {
        let (name, node) = children[index]
        return DirectoryEntry(name: name, ino: tree.inodes.existingIno(node) ?? DirectoryEntry.unknownIno,
                              mode: tree.fileType(of: node))
    }

    func entryPlus(at index: Int) -> Entry? {
        let (name, node) = children[index]
        return try? tree.referencedEntry(for: node, parent: directory, name: name)
    }
}
