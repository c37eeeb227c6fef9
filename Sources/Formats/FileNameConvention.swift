/// What a file name tells about a package, by OCP's convention
/// `<name>-<version>-<buildNumber>.<os>.<arch>.<ext>` (and Debian's `<name>_<version>_<arch>.deb`).
/// Fields the name does not tell are `nil`; callers file those under `unknown`.
public struct FileNameFields: Sendable, Equatable {
    public var name: String
    public var version: String?
    public var buildNumber: String?
    public var operatingSystem: String?
    public var architecture: String?
    /// Without the dot: `rpm`, `deb`, `tar.gz`, ... ; empty when the name has none.
    public var fileExtension: String
    /// The file name without its extension: the package directory's name.
    public var stem: String
}

public enum FileNameConvention {
    /// Longest first, so `tar.gz` wins over `gz`.
    public static let knownExtensions = [
        "tar.gz", "tar.xz", "tar.zst", "tar.bz2", "tgz", "txz", "tbz2",
        "rpm", "deb", "zip", "tar", "gz", "xz", "zst", "bz2", "jar", "whl", "iso", "img", "bin", "run", "sh",
    ]

    public static let knownArchitectures: Set<String> = [
        "x86_64", "amd64", "aarch64", "arm64", "noarch", "all", "i386", "i586", "i686", "armhf", "armel",
        "armv7hl", "armv7l", "ppc64le", "ppc64", "s390x", "riscv64", "loongarch64", "mips64el", "src", "nosrc",
    ]

    public static func parse(_ fileName: String) -> FileNameFields {
        let (stem, ext) = splitExtension(fileName)
        if ext == "deb", let debian = parseDebian(stem: stem) {
            return FileNameFields(name: debian.name, version: debian.version, buildNumber: nil,
                                  operatingSystem: nil, architecture: debian.arch,
                                  fileExtension: ext, stem: stem)
        }
        var rest = Substring(stem)
        var arch: String?
        var os: String?
        var dotted = rest.split(separator: ".", omittingEmptySubsequences: false)
        if dotted.count >= 2, let last = dotted.last, knownArchitectures.contains(String(last)) {
            arch = String(last)
            dotted.removeLast()
            // The OS tag (el7, alios7, ubuntu20) has letters and no dash; a bare number is part of the version.
            if dotted.count >= 2, let candidate = dotted.last, isOSTag(candidate) {
                os = String(candidate)
                dotted.removeLast()
            }
            rest = Substring(dotted.joined(separator: "."))
        }
        let dashed = rest.split(separator: "-", omittingEmptySubsequences: false)
        // The version is the first dash-separated part after the name that starts with a digit.
        if let versionIndex = dashed.indices.dropFirst().first(where: { startsWithDigit(dashed[$0]) }) {
            let name = dashed[..<versionIndex].joined(separator: "-")
            let version = String(dashed[versionIndex])
            let build = dashed[(versionIndex + 1)...].joined(separator: "-")
            return FileNameFields(name: name, version: version, buildNumber: build.isEmpty ? nil : build,
                                  operatingSystem: os, architecture: arch, fileExtension: ext, stem: stem)
        }
        return FileNameFields(name: String(rest), version: nil, buildNumber: nil,
                              operatingSystem: os, architecture: arch, fileExtension: ext, stem: stem)
    }

    public static func splitExtension(_ fileName: String) -> (stem: String, ext: String) {
        let lowered = fileName.lowercased()
        for ext in knownExtensions where lowered.hasSuffix("." + ext) && lowered.count > ext.count + 1 {
            return (String(fileName.dropLast(ext.count + 1)), ext)
        }
        if let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex {
            let ext = fileName[fileName.index(after: dot)...]
            if !ext.isEmpty, ext.count <= 8, ext.allSatisfy({ $0.isLetter || $0.isNumber }) {
                return (String(fileName[..<dot]), String(ext))
            }
        }
        return (fileName, "")
    }

    private static func parseDebian(stem: String) -> (name: String, version: String, arch: String)? {
        let parts = stem.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]), String(parts[2]))
    }

    private static func isOSTag(_ s: Substring) -> Bool {
        !s.isEmpty && !s.contains("-") && s.contains(where: { $0.isLetter }) && s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
    }

    private static func startsWithDigit(_ s: Substring) -> Bool {
        guard let first = s.first else { return false }
        return first.isASCII && first.isNumber
    }
}
