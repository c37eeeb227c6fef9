import Foundation
import PkgfsFormats

/// Where a store keeps its parts on disk:
/// `catalog.sqlite` (+ WAL), `blobs/sha256/<2 hex>/<64 hex>`, `tmp/` for uploads in flight,
/// `notes/` for blobs changing hands (`PendingNotes`), `cache/payload/` for payload files
/// decompressed once for random reads (disposable), `reserve` (`SpaceReserve`), and an
/// optional `type-rules.json`.
public struct StoreLayout: Sendable {
    public let root: String

    public init(root: String) {
        self.root = (root as NSString).standardizingPath
    }

    public var catalogPath: String { root + "/catalog.sqlite" }
    public var blobsDirectory: String { root + "/blobs/sha256" }
    public var temporaryDirectory: String { root + "/tmp" }
    public var notesDirectory: String { root + "/notes" }
    public var typeRulesPath: String { root + "/type-rules.json" }
    public var payloadCacheDirectory: String { root + "/cache/payload" }
    /// Holds the pid of the process serving the store.
    public var lockPath: String { root + "/pkgfs.lock" }
    public var logPath: String { root + "/pkgfs.log" }
    /// Space held back for deletes on a full disk (`SpaceReserve`).
    public var reservePath: String { root + "/reserve" }

    public func blobPath(sha256: String) -> String {
        "\(blobsDirectory)/\(sha256.prefix(2))/\(sha256)"
    }

    /// `/var/lib/pkgfs` for root, else `$XDG_DATA_HOME/pkgfs` or `~/.local/share/pkgfs`.
    public static var defaultRoot: String {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["PKGFS_STORE"], !explicit.isEmpty { return explicit }
        if getuid() == 0 { return "/var/lib/pkgfs" }
        if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/pkgfs" }
        return NSHomeDirectory() + "/.local/share/pkgfs"
    }

    private static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// Creates the directories that do not exist yet.
    public func createDirectories() throws {
        for dir in [root, blobsDirectory, temporaryDirectory, notesDirectory, payloadCacheDirectory] {
            if mkdir(dir, 0o755) == 0 || errno == EEXIST && Self.isDirectory(dir) { continue }
            if errno == ENOENT, (try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)) != nil {
                continue
            }
            let e = errno == EEXIST ? ENOTDIR : errno
            throw StoreError.io("cannot create store directory \(dir)", errno: e)
        }
        createFanOutDirectories()
    }

    /// The 256 `blobs/sha256/<2 hex>` directories, made at once: an upload that had to make its
    /// own also waited for a sync of their parent (250 µs), the first few hundred of every store.
    /// Best effort: a store on a full disk still opens, and an upload makes a missing one.
    private func createFanOutDirectories() {
        var created = false
        for byte in 0...255 {
            let dir = "\(blobsDirectory)/\(Hex.string([UInt8(byte)]))"
            if mkdir(dir, 0o755) == 0 {
                created = true
            } else if errno != EEXIST {
                break
            }
        }
        if created { try? BackgroundSync(directory: blobsDirectory).wait() }
    }
}
