import Foundation
import PkgfsFormats
import PkgfsModel

public struct VerificationReport: Sendable {
    public var integrity: String
    public var packages: Int
    public var verified: Int
    public var problems: [String]
}

extension Repository {
    /// Re-hashes every stored blob against the catalog and runs SQLite's integrity check; every
    /// problem is reported, one line each naming its package, and the check goes on past it.
    /// Files in blobs/ that no package refers to are problems too (a store left clean has none).
    public func verify(progress: (Int, Int) -> Void = { _, _ in }) throws -> VerificationReport {
        let summaries = try catalog.allSummaries()
        var report = VerificationReport(integrity: try catalog.integrityCheck(), packages: summaries.count,
                                        verified: 0, problems: [])
        // Packages of the same bytes share one blob: it is read once.
        var findings: [String: String?] = [:]
        for (index, summary) in summaries.enumerated() {
            progress(index + 1, summaries.count)
            guard let package = try catalog.package(id: summary.id) else { continue }
            let finding: String?
            if let known = findings[package.sha256] { finding = known } else {
                finding = blobFinding(package)
                findings[package.sha256] = finding
            }
            if let finding { report.problems.append("\(package.fileName) (id \(package.id)): \(finding)") } else { report.verified += 1 }
        }
        report.problems += unreferencedFiles(referenced: Set(findings.keys))
        return report
    }

    /// What is wrong with the blob of `package`, or nil when it is whole.
    private func blobFinding(_ package: Package) -> String? {
        let path = blobPath(of: package)
        var st = stat()
        guard lstat(path, &st) == 0 else { return "blob \(path) is missing (\(String(cString: strerror(errno))))" }
        guard st.st_mode & S_IFMT == S_IFREG else { return "blob \(path) is not a regular file" }
        if Int64(st.st_size) != package.size {
            return "blob \(path) holds \(st.st_size) bytes, the package \(package.size) (cut short or changed on disk)"
        }
        do {
            let actual = try sha256OfFile(path)
            return actual == package.sha256 ? nil : "blob \(path) hashes to \(actual), the catalog records \(package.sha256)"
        } catch {
            return "blob \(path) cannot be read: \(error)"
        }
    }

    /// Files under blobs/ that are no package's blob.
    private func unreferencedFiles(referenced: Set<String>) -> [String] {
        let fm = FileManager.default
        let top = layout.blobsDirectory
        var found: [String] = []
        for prefix in ((try? fm.contentsOfDirectory(atPath: top)) ?? []).sorted() {
            let directory = "\(top)/\(prefix)"
            guard let names = try? fm.contentsOfDirectory(atPath: directory) else {
                found.append("\(directory) is not a blob directory")
                continue
            }
            for name in names.sorted() where !referenced.contains(name) || !name.hasPrefix(prefix) {
                found.append(Hex.isLowercase(Substring(name), count: 64) && name.hasPrefix(prefix)
                             ? "\(directory)/\(name): a blob no package refers to"
                             : "\(directory)/\(name): not a blob (unknown file in blobs/)")
            }
        }
        return found
    }
}
