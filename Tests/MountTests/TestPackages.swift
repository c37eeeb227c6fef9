import Foundation
import TestSupport
import XCTest

/// Real packages for the tests, built with the system's own tools.
enum TestPackages {
    /// The repository's examples/ directory (the scripts a build host would use).
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples").path

    /// Builds `<name>-<version>-<release>.<arch>.rpm` with rpmbuild in `directory`; returns its path.
    static func rpm(name: String, version: String, release: String, arch: String = "x86_64",
                    payloadBytes: Int = 4096, in directory: String) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/rpmbuild") else {
            XCTFail("rpmbuild is missing: run scripts/setup (it installs Debian's rpm package)")
            throw XCTSkip("no rpmbuild")
        }
        let top = directory + "/rpmbuild-\(UUID().uuidString.prefix(8))"
        let spec = """
            Name: \(name)
            Version: \(version)
            Release: \(release)
            Summary: pkgfs test package \(name)
            License: MIT
            BuildArch: \(arch)
            %description
            Built by the pkgfs tests.
            %install
            mkdir -p %{buildroot}/opt/\(name)
            head -c \(payloadBytes) /dev/urandom > %{buildroot}/opt/\(name)/payload.bin
            echo "hello from \(name)" > %{buildroot}/opt/\(name)/README
            %files
            /opt/\(name)
            """
        try FileManager.default.createDirectory(atPath: top + "/SPECS", withIntermediateDirectories: true)
        try spec.write(toFile: top + "/SPECS/test.spec", atomically: true, encoding: .utf8)
        let result = Shell.run("""
            rpmbuild -bb --quiet --define '_topdir \(top)' --define '_build_id_links none' \
              --target \(arch) \(top)/SPECS/test.spec
            """)
        guard result.ok else {
            XCTFail("rpmbuild failed: \(result.stderr)")
            throw XCTSkip("rpmbuild failed")
        }
        let built = "\(top)/RPMS/\(arch)/\(name)-\(version)-\(release).\(arch).rpm"
        let final = "\(directory)/\(name)-\(version)-\(release).\(arch).rpm"
        try FileManager.default.moveItem(atPath: built, toPath: final)
        try? FileManager.default.removeItem(atPath: top)
        return final
    }

    /// A file of `size` random bytes.
    static func randomFile(_ path: String, size: Int) -> String {
        Shell.run("head -c \(size) /dev/urandom > \(Shell.quote(path))")
        return path
    }
}
