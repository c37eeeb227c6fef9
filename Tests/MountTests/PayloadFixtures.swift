import Foundation
import TestSupport
import XCTest

/// Real packages with a varied payload, built with the system's own tools (rpmbuild,
/// dpkg-deb, tar, zip), and the means to compare a `files/` tree with a real extraction.
enum PayloadFixtures {
    /// Fills `dir` with the tree every format packs: nested and synthesized-looking
    /// directories, modes 0755/0644/0600/4755 and a 0700 directory, an empty file, a name with
    /// a space and one in UTF-8, a relative and an absolute symlink, a hard-link pair, a file
    /// with an old mtime, and `bigBytes` random bytes in lib/librich.so.1.0.
    static func makeTree(_ dir: String, bigBytes: Int = 300_000) throws {
        let script = """
            set -e
            d=\(Shell.quote(dir))
            mkdir -p "$d/bin" "$d/lib/deep/er" "$d/share/doc" "$d/with space" "$d/private" "$d/etc"
            printf '#!/bin/sh\\necho rich\\n' > "$d/bin/rich"
            chmod 0755 "$d/bin/rich"
            head -c \(bigBytes) /dev/urandom > "$d/lib/librich.so.1.0"
            ln -s librich.so.1.0 "$d/lib/librich.so.1"
            ln -s /opt/rich/bin/rich "$d/bin/rich-abs"
            ln -s ../lib/deep/er "$d/share/deep-link"
            echo deep > "$d/lib/deep/er/file.txt"
            : > "$d/share/doc/empty"
            echo conf > "$d/etc/rich.conf"
            echo spaced > "$d/with space/a file"
            echo unicode > "$d/share/doc/héllo-wörld.txt"
            echo secret > "$d/private/key"
            chmod 0600 "$d/private/key"
            chmod 0700 "$d/private"
            echo linked > "$d/bin/hl-a"
            ln "$d/bin/hl-a" "$d/bin/hl-b"
            cp "$d/bin/rich" "$d/bin/suid"
            chmod 4755 "$d/bin/suid"
            touch -h -d '2020-02-03 04:05:06 UTC' "$d/lib/deep/er/file.txt" "$d/lib/librich.so.1"
            touch -d '2019-01-01 00:00:00 UTC' "$d/lib/deep/er"
            """
        try run(script, "making the payload tree")
    }

    struct RPMOptions {
        var name = "rich-tool"
        var epoch: Int? = 3
        var version = "1.0~rc1"
        var release = "20210812221645.alios7"
        /// `noarch`, `x86_64`, `aarch64` (built with --target).
        var arch = "x86_64"
        /// `_binary_payload`, e.g. `w6.xzdio`, `w19.zstdio`, `w9.gzdio`; nil for rpm's default.
        var payload: String? = nil
        /// Shell lines run in %install after the tree is copied to $RPM_BUILD_ROOT/opt/rich.
        var extraInstall = ""
    }

    /// Builds an RPM whose payload is `tree` under /opt/rich, with dependencies of every kind.
    static func rpm(_ o: RPMOptions, tree: String, in directory: String) throws -> String {
        let top = directory + "/rpmbuild-\(UUID().uuidString.prefix(8))"
        let spec = """
            Name: \(o.name)
            \(o.epoch.map { "Epoch: \($0)" } ?? "")
            Version: \(o.version)
            Release: \(o.release)
            Summary: A rich pkgfs test package
            License: MIT and BSD
            URL: https://example.com/rich
            Vendor: pkgfs tests
            Group: Development/Tools
            \(o.arch == "noarch" ? "BuildArch: noarch" : "")
            Requires: bash >= 4.0
            Requires: libfoo.so.1()(64bit)
            Requires(post): coreutils
            Provides: rich-api = 2.1
            Conflicts: poor-tool < 1.0
            Obsoletes: old-tool <= 0.9
            Recommends: rich-extras
            Suggests: rich-docs
            %description
            Built by the pkgfs tests.
            A second line.
            %install
            mkdir -p %{buildroot}/opt/rich
            cp -a \(Shell.quote(tree))/. %{buildroot}/opt/rich/
            \(o.extraInstall)
            %post
            true
            %files
            /opt/rich
            %config(noreplace) /opt/rich/etc/rich.conf
            """
        try FileManager.default.createDirectory(atPath: top + "/SPECS", withIntermediateDirectories: true)
        try spec.write(toFile: top + "/SPECS/p.spec", atomically: true, encoding: .utf8)
        let payload = o.payload.map { "--define '_binary_payload \($0)'" } ?? ""
        try run("""
            rpmbuild -bb --quiet --define '_topdir \(top)' --define '_build_id_links none' \
              --define '__brp_mangle_shebangs %{nil}' \(payload) --target \(o.arch) \(top)/SPECS/p.spec
            """, "rpmbuild")
        let file = "\(o.name)-\(o.version)-\(o.release).\(o.arch).rpm"
        let final = directory + "/" + file
        try FileManager.default.moveItem(atPath: "\(top)/RPMS/\(o.arch)/\(file)", toPath: final)
        try? FileManager.default.removeItem(atPath: top)
        return final
    }

    /// Builds `<name>_<version>_<arch>.deb` with `tree` under opt/rich; `compression` is
    /// dpkg-deb's -Z (xz, zstd, gzip, none).
    static func deb(name: String = "rich-tool", version: String = "2:1.4.0~beta2-3", arch: String = "amd64",
                    compression: String, tree: String, in directory: String) throws -> String {
        let root = directory + "/debroot-\(UUID().uuidString.prefix(8))"
        let control = """
            Package: \(name)
            Version: \(version)
            Section: utils
            Priority: optional
            Architecture: \(arch)
            Maintainer: pkgfs tests <tests@example.com>
            Installed-Size: 320
            Depends: libc6 (>= 2.31), bash | dash
            Pre-Depends: dpkg (>= 1.19)
            Recommends: rich-extras
            Suggests: rich-docs
            Conflicts: poor-tool (<< 1.0)
            Breaks: old-tool (<= 0.9)
            Provides: rich-api (= 2.1)
            Replaces: old-tool
            Homepage: https://example.com/rich
            Description: A rich pkgfs test package
             Built by the pkgfs tests.
             .
             A second paragraph.

            """
        let file = "\(name)_\(version.split(separator: ":").last!)_\(arch).deb"
        try run("""
            set -e
            mkdir -p \(Shell.quote(root))/DEBIAN \(Shell.quote(root))/opt/rich
            cp -a \(Shell.quote(tree))/. \(Shell.quote(root))/opt/rich/
            printf '%s' \(Shell.quote(control)) > \(Shell.quote(root))/DEBIAN/control
            echo /opt/rich/etc/rich.conf > \(Shell.quote(root))/DEBIAN/conffiles
            (cd \(Shell.quote(root)) && find opt -type f -exec md5sum {} + > DEBIAN/md5sums)
            dpkg-deb --root-owner-group -Z\(compression) --build \(Shell.quote(root)) \(Shell.quote(directory + "/" + file)) >/dev/null
            rm -rf \(Shell.quote(root))
            """, "dpkg-deb --build")
        return directory + "/" + file
    }

    static func run(_ script: String, _ what: String) throws {
        let result = Shell.run(script)
        guard result.ok else {
            XCTFail("\(what) failed: \(result.stdout)\(result.stderr)")
            throw XCTSkip("\(what) failed")
        }
    }
}

/// What `find` says about a tree, for comparing `files/` with an extraction.
struct TreeFacts: Equatable {
    /// `path|type|permissions` of every entry, sorted (`./bin/rich|f|755`).
    var modes: [String]
    /// `path|size` of every non-directory (a symlink's size is its target's length).
    var sizes: [String]
    /// `path -> target` of every symlink.
    var links: [String]
    /// path → mtime (seconds) of every entry.
    var mtimes: [String: Int]

    init(_ dir: String) {
        func lines(_ printf: String, _ filter: String = "") -> [String] {
            Shell.run("cd \(Shell.quote(dir)) && find . -mindepth 1 \(filter) -printf \(Shell.quote(printf)) | LC_ALL=C sort")
                .stdout.split(separator: "\n").map(String.init)
        }
        modes = lines("%p|%y|%m\\n")
        sizes = lines("%p|%s\\n", "! -type d")
        links = lines("%p -> %l\\n", "-type l")
        mtimes = [:]
        for line in lines("%p|%T@\\n") {
            let parts = line.split(separator: "|")
            if parts.count == 2, let t = Double(parts[1]) { mtimes[String(parts[0])] = Int(t.rounded(.down)) }
        }
    }

    var paths: [String] { modes.map { String($0.split(separator: "|")[0]) } }

    /// Regular files, by path.
    var regularFiles: Set<String> {
        Set(modes.compactMap { line in
            let f = line.split(separator: "|")
            return f.count == 3 && f[1] == "f" ? String(f[0]) : nil
        })
    }

    /// path (`./a/b`) → mtime of every entry an archive records, from `tar --utc --full-time -tv`
    /// (GNU tar restores directory mtimes before it makes the symlinks inside, so for
    /// directories and symlinks its listing, not its extraction, says what is recorded).
    static func tarListingMtimes(_ listing: String) -> [String: Int] {
        let parse = DateFormatter()
        parse.locale = Locale(identifier: "en_US_POSIX")
        parse.timeZone = TimeZone(identifier: "UTC")
        parse.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var out: [String: Int] = [:]
        for line in listing.split(separator: "\n") {
            let f = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard f.count == 6, let date = parse.date(from: "\(f[3]) \(f[4])") else { continue }
            var path = String(f[5])
            for marker in [" -> ", " link to "] {
                if let r = path.range(of: marker) { path = String(path[..<r.lowerBound]) }
            }
            if path.hasSuffix("/") { path.removeLast() }
            if path == "." || path.isEmpty { continue }
            if !path.hasPrefix("./") { path = "./" + path }
            out[path] = Int(date.timeIntervalSince1970)
        }
        return out
    }
}
