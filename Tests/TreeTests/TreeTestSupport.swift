import Logging
import PkgfsStore
@testable import PkgfsTree

extension PackageTree {
    /// The tree of `repository` as a test sees it: owned by root, no manager group, shown as
    /// mounted at /mnt/pkgfs (the prefix of `downloadUrl`).
    static func forTests(_ repository: Repository) -> PackageTree {
        PackageTree(repository: repository, mountPoint: "/mnt/pkgfs",
                    access: AccessPolicy(ownerUID: 0, ownerGID: 0, managerGID: nil), logger: Logger(label: "test"))
    }
}
