import Foundation
import PkgfsFUSE
import PkgfsStore

/// One opendir's snapshot of a directory's children. Inode numbers are only handed out for
/// names the kernel will hold (readdirplus), never for every name of a big listing.
final class TreeListing: DirectoryListing, @unchecked Sendable {
    // @unchecked: immutable after init; `tree` is thread-safe.
    private enum Children {
        case nodes([(String, Node)])
        /// The by-id/ and by-digest directories: a million names whose node follows from the
        /// name alone, so only the names are kept.
        case names(PackedNames, (String) -> Node)
        /// search/<keyword>/: its hits, whose nodes are made as they are listed.
        case hits(SearchHits, keyword: String)
    }

    /// The children once read, never changed after: each name of a page takes one reference to
    /// it. Copying the enum itself out of the lock took a reference to every buffer of a search's
    /// hits, twice a name (its count and its entry).
    private final class Loaded {
        let children: Children
        let count: Int

        init(_ children: Children) {
            self.children = children
            switch children {
            case .nodes(let all): count = all.count
            case .names(let all, _): count = all.count
            case .hits(let hits, _): count = hits.count
            }
        }

        func child(_ index: Int) -> (String, Node) {
            switch children {
            case .nodes(let all): return all[index]
            case .names(let all, let node):
                let name = all[index]
                return (name, node(name))
            case .hits(let hits, let keyword):
                return (hits.name(at: index), .searchLink(keyword, hits.id(at: index)))
            }
        }
    }

    private let tree: PackageTree
    private let directory: UInt64
    private let lock = NSLock()
    private var read: (() throws -> Children)?
    private var loaded = Loaded(.nodes([]))
    /// The generation of the package summaries when the children were read.
    private var loadedAt: UInt64 = 0
    /// The names of an index listing whose link targets were last read together: as many as a
    /// readdirplus page gives attributes for (`maxEntriesWithAttributes`).
    private var linksRead = 0..<0

    init(tree: PackageTree, directory: UInt64, children: @escaping () throws -> [(String, Node)]) {
        self.tree = tree
        self.directory = directory
        self.read = { .nodes(try children()) }
    }

    init(tree: PackageTree, directory: UInt64, names: @escaping () throws -> PackedNames, node: @escaping (String) -> Node) {
        self.tree = tree
        self.directory = directory
        self.read = { .names(try names(), node) }
    }

    init(tree: PackageTree, directory: UInt64, searchedFor keyword: String, search: @escaping () throws -> SearchHits) {
        self.tree = tree
        self.directory = directory
        self.read = { .hits(try search(), keyword: keyword) }
    }

    func load() throws {
        try lock.withLock {
            guard let read else { return }
            loadedAt = tree.summaries.currentGeneration
            loaded = Loaded(try read())
            self.read = nil
        }
    }

    var count: Int { lock.withLock { loaded }.count }

    /// Every listing may be cached: `packageChanged` invalidates the directories a change touches.
    var mayBeCached: Bool { true }

    private func child(_ index: Int) -> (String, Node) {
        lock.withLock { loaded }.child(index)
    }

    func entry(at index: Int) -> DirectoryEntry {
        let (name, node) = child(index)
        return DirectoryEntry(name: name, ino: tree.inodes.existingIno(node) ?? DirectoryEntry.unknownIno,
                              mode: tree.fileType(of: node))
    }

    /// Before the attributes of an index listing's name outside the last batch: the targets of it
    /// and the names after it, in one read per kind.
    private func readLinksAhead(from index: Int, of loaded: Loaded) {
        let batch = lock.withLock { () -> Range<Int>? in
            guard !linksRead.contains(index) else { return nil }
            linksRead = index..<min(loaded.count, index + maxEntriesWithAttributes)
            return linksRead
        }
        guard let batch else { return }
        // A failed batch leaves each name to its own read, which reports the error.
        try? tree.rememberLinks(batch.map { loaded.child($0).1 })
    }

    func entryPlus(at index: Int) -> Entry? {
        // As in `lookup`: an entry made across a change goes without attributes, and a lookup,
        // after the change, answers for its name (`PackageTree.referenceStands`).
        let generation = tree.summaries.currentGeneration
        guard let entry = referencedEntry(at: index, generation: generation),
              tree.referenceStands(entry, since: generation) else { return nil }
        return entry
    }

    private func referencedEntry(at index: Int, generation: UInt64) -> Entry? {
        let (loaded, loadedAt) = lock.withLock { (self.loaded, self.loadedAt) }
        if case let .hits(hits, keyword) = loaded.children {
            // A hit is made from the search alone, not read again: one of a search older than
            // a change may be of a package gone since.
            guard loadedAt == generation else { return nil }
            return tree.referencedEntry(forSearchHit: hits[index], keyword: keyword, parent: directory)
        }
        if case .names = loaded.children { readLinksAhead(from: index, of: loaded) }
        let (name, node) = loaded.child(index)
        // meta.json's size is its rendering: left to a lookup if a reader wants it (`ls -l`,
        // `cat`), which a `find` never does.
        if case let .meta(id, version) = node, !tree.knowsMetaSize(of: id, version: version) { return nil }
        return try? tree.referencedEntry(for: node, parent: directory, name: name)
    }
}
