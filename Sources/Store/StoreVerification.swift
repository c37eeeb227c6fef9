import Foundation
import PkgfsModel

public struct VerificationReport: Sendable {
    public var integrity: String
    public var packages: Int
    public var verified: Int
    public var problems: [String]
}

extension Repository {
    /// Re-hashes every stored blob against the catalog and runs SQLite's integrity check.
    public func verify(progress: (Int, Int) -> Void = { _, _ in }) throws -> VerificationReport {
        let summaries = try catalog.allSummaries()
        var report = VerificationReport(integrity: try catalog.integrityCheck(), packages: summaries.count,
                                        verified: 0, problems: [])
        for (index, summary) in summaries.enumerated() {
            progress(index + 1, summaries.count)
            guard let package = try catalog.package(id: summary.id) else { continue }
            let path = blobPath(of: package)
            guard access(path, R_OK) == 0 else {
                report.problems.append("\(package.fileName): blob \(package.sha256) is missing")
                continue
            }
            let actual = try sha256OfFile(path)
            if actual == package.sha256 {
                report.verified += 1
            } else {
                report.problems.append("\(package.fileName): blob hashes to \(actual), catalog says \(package.sha256)")
            }
        }
        return report
    }
}
