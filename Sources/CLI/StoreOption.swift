import ArgumentParser
import PkgfsStore

struct StoreOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Directory of the store (SQLite catalog + blobs); mount and serve create it if missing.",
        discussion: "Default: /var/lib/pkgfs for root, else $XDG_DATA_HOME/pkgfs or ~/.local/share/pkgfs; PKGFS_STORE overrides.",
        valueName: "dir"))
    var store: String?

    var root: String { store ?? StoreLayout.defaultRoot }
}
