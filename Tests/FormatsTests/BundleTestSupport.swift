import Foundation
import XCTest

/// Builds real Astra bundles for the Bundle* tests: a staging directory per bundle, files
/// written into it, `tar` to pack it and `sha256sum` for the reference digests. Names are
/// prefixed (`Bundle…`) because the FormatsTests target shares one module.
final class BundleFixture {
    struct ShellFailure: Error, CustomStringConvertible {
        let description: String
    }

    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "pkgfs-bundle-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// A fresh staging directory for one bundle's contents.
    func stage(_ name: String) throws -> String {
        let dir = root + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes `bytes` at `relative` inside `dir`, creating parent directories.
    @discardableResult
    func write(_ bytes: [UInt8], to relative: String, in dir: String) throws -> String {
        let path = dir + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @discardableResult
    func write(_ text: String, to relative: String, in dir: String) throws -> String {
        try write(Array(text.utf8), to: relative, in: dir)
    }

    /// A file of `size` random bytes (an "image archive"; its contents do not matter).
    @discardableResult
    func writeRandom(size: Int, to relative: String, in dir: String) throws -> String {
        let path = dir + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try shell("head -c \(size) /dev/urandom > '\(path)'")
        return path
    }

    /// `package.json` from a JSON object.
    func writeManifest(_ object: [String: Any], in dir: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object,
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try write([UInt8](data), to: "package.json", in: dir)
    }

    /// `sha256:<hex>` by `sha256sum`.
    func sha256sum(_ path: String) throws -> String {
        let out = try shell("sha256sum '\(path)'")
        return "sha256:" + String(out.prefix(64))
    }

    /// Packs `dir` with `tar <flags>` (`czf`, `cf`, `cJf`, …). `dotSlash` archives `.`, so
    /// members are `./package.json`, …; otherwise the top-level names are listed.
    func pack(_ dir: String, flags: String, name: String, dotSlash: Bool = false) throws -> String {
        let out = root + "/" + name
        if dotSlash {
            try shell("tar -C '\(dir)' -\(flags) '\(out)' .")
        } else {
            try shell("cd '\(dir)' && tar -\(flags) '\(out)' $(ls -A)")
        }
        return out
    }

    @discardableResult
    func shell(_ script: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        let outPath = root + "/.out-\(UUID().uuidString)"
        let errPath = root + "/.err-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try out.close()
        try err.close()
        if p.terminationStatus != 0 {
            let message = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw ShellFailure(description: "sh -c \(script) exited \(p.terminationStatus): \(message)")
        }
        return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    }

    // MARK: Manifest pieces

    static func image(_ name: String, tag: String, path: String = "/globalcicd/acc",
                      digest: String) -> [String: Any] {
        ["imagePath": path, "imageName": name, "imageTag": tag, "imageDigest": digest]
    }

    static func manifest(name: String = "acc", version: String = "23.07.0", type: String = "install",
                         extra: [String: Any] = [:]) -> [String: Any] {
        var m: [String: Any] = [
            "type": "application/astra-package",
            "version": "1.0",
            "packageName": name,
            "packageVersion": version,
            "packageType": type,
            "severityLevel": "recommended",
        ]
        for (k, v) in extra { m[k] = v }
        return m
    }

    static let zeroDigest = "sha256:" + String(repeating: "0", count: 64)
}
