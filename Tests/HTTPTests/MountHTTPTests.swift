import Foundation
import TestSupport
import XCTest

/// `pkgfs mount --http`: the mount process serves the APIs from its own Repository, so an
/// HTTP upload shows in the tree and a `cp` upload shows over HTTP.
final class MountHTTPTests: XCTestCase {
    func testMountServesHTTPFromTheSameStore() throws {
        guard access("/dev/fuse", R_OK | W_OK) == 0 else {
            throw XCTSkip("/dev/fuse is absent here: mount tests need FUSE")
        }
        let root = NSTemporaryDirectory() + "pkgfs-test-" + UUID().uuidString.prefix(8).lowercased()
        let run = { (command: String) in Shell.run("cd \(Shell.quote(root)) && " + command, environment: ["P": ServedStore.binary]) }
        try FileManager.default.createDirectory(atPath: root + "/mnt", withIntermediateDirectories: true)
        addTeardownBlock {
            for mnt in ["mnt", "mnt3"] {
                Shell.run("cd \(Shell.quote(root)) && mountpoint -q \(mnt) && { \"$P\" unmount \(mnt) || fusermount3 -u -z \(mnt); } >/dev/null 2>&1",
                          environment: ["P": ServedStore.binary])
            }
            try? FileManager.default.removeItem(atPath: root)
        }
        let mounted = run("\"$P\" mount --store store --http 127.0.0.1:0 mnt")
        XCTAssertTrue(mounted.ok, mounted.stdout + mounted.stderr)
        var base = ""
        for _ in 0..<100 where base.isEmpty {
            base = run("grep -o 'HTTP APIs at http://127.0.0.1:[0-9]*' store/pkgfs.log | sed 's/HTTP APIs at //'").trimmed
            if base.isEmpty { usleep(50_000) }
        }
        XCTAssertFalse(base.isEmpty, run("cat store/pkgfs.log").stdout)
        let name = "obproxy-3.2.0-1.el7.x86_64.tar.gz"
        let upload = run("mkdir src && echo hi > src/a && tar czf \(name) -C src a && curl -sS -f -F file=@\(name) \(base)/api/v2/software-packages >/dev/null && cmp \(name) mnt/OBPROXY_INSTALL_PACKAGE/el7/x86_64/3.2.0/obproxy-3.2.0-1.el7.x86_64/\(name)")
        XCTAssertTrue(upload.ok, upload.stderr)
        let copied = run("cp \(name) mnt/incoming/obproxy-3.2.1-1.el7.x86_64.tar.gz && curl -sS -f '\(base)/api/v2/software-packages?keyword=3.2.1'")
        XCTAssertTrue(copied.ok, copied.stderr)
        XCTAssertTrue(copied.stdout.contains("\"fileName\" : \"obproxy-3.2.1-1.el7.x86_64.tar.gz\""), copied.stdout)
        // An HTTP upload is answered once the tree shows it, also where the kernel had the
        // listing cached a moment before and readers keep listing it.
        let visible = run("""
            mkdir -p src
            ( for k in $(seq 300); do ls -l mnt/by-sha256 mnt/incoming >/dev/null; done ) & reader=$!
            for i in $(seq 1 20); do
              f=src/h$i-1.$i-1.el7.x86_64.bin; head -c 3000 /dev/urandom > $f
              ls mnt/by-sha256 >/dev/null
              curl -sS -f -o /dev/null -F file=@$f \(base)/api/v2/software-packages || echo "upload $i failed"
              ls mnt/by-sha256 | grep -qx $(sha256sum $f | cut -d' ' -f1) || echo "h$i not listed when its upload answered"
            done
            kill $reader 2>/dev/null; wait
            """)
        XCTAssertEqual(visible.stdout, "", visible.stderr)
        // A download that finds the blob cut short makes the package corrupt, and the mount,
        // which had its state and latest cached, shows that at once; a deleted package is a 404.
        let damaged = run("""
            dir=mnt/OBPROXY_INSTALL_PACKAGE/el7/x86_64/3.2.1/obproxy-3.2.1-1.el7.x86_64
            cat $dir/state; readlink mnt/OBPROXY_INSTALL_PACKAGE/el7/x86_64/latest
            truncate -s 10 store/blobs/sha256/*/$(getfattr --only-values -n user.pkgfs.sha256 $dir)
            curl -sS -o /dev/null -w '%{http_code}\\n' \(base)/api/v2/files/sys-package/obproxy-3.2.1-1.el7.x86_64.tar.gz
            cat $dir/state; readlink mnt/OBPROXY_INSTALL_PACKAGE/el7/x86_64/latest
            rm -rf mnt/OBPROXY_INSTALL_PACKAGE/el7/x86_64/3.2.0/obproxy-3.2.0-1.el7.x86_64
            curl -sS -o /dev/null -w '%{http_code}\\n' \(base)/api/v2/files/sys-package/\(name)
            """)
        XCTAssertEqual(damaged.stdout, "available\n3.2.1\n500\ncorrupt\n3.2.0\n404\n", damaged.stderr)

        let second = run("\"$P\" serve --store store --listen 127.0.0.1:0")
        XCTAssertFalse(second.ok)
        XCTAssertTrue(second.stderr.contains("pkgfs mount --http"), second.stderr)

        // A port in use fails the mount with its reason, and nothing is mounted; it reported
        // success before, and the daemon died just after.
        let port = base.split(separator: ":").last.map(String.init) ?? "0"
        let taken = run("\"$P\" mount --store other --http 127.0.0.1:\(port) mnt2")
        XCTAssertFalse(taken.ok, taken.stdout)
        XCTAssertTrue(taken.stderr.contains("Address already in use"), taken.stderr)
        XCTAssertFalse(run("grep -q \" $(realpath -m mnt2) \" /proc/mounts").ok, "nothing mounted at mnt2")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/mnt2"), "the mount point it made is gone again")

        // --group limits the mount; HTTP without --tokens would not be: said, not silent.
        let grouped = run("\"$P\" mount --store third --group root --http 127.0.0.1:0 mnt3 && \"$P\" unmount mnt3")
        XCTAssertTrue(grouped.ok, grouped.stderr)
        XCTAssertTrue(grouped.stderr.contains("--http without --tokens makes every local caller PACKAGE_MANAGER"), grouped.stderr)
    }
}
