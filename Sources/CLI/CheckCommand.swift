import ArgumentParser
import Foundation
import PkgfsStore

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a store: SQLite integrity, every blob present and matching its SHA-256.")

    @OptionGroup var storeOption: StoreOption

    func run() throws {
        // A store is created where none is, which a check of a mistyped path must not do.
        let catalog = StoreLayout(root: storeOption.root).catalogPath
        guard FileManager.default.fileExists(atPath: catalog) else {
            throw CLIError("no store at \(storeOption.root) (no \(catalog)); nothing to check")
        }
        let repository = try Repository(root: storeOption.root)
        let progress = ProgressLine()
        let report = try repository.verify { done, total in
            progress.report("verifying \(done)/\(total)", finished: done == total)
        }
        progress.end()
        print("catalog: \(report.integrity)")
        print("packages: \(report.packages), blobs verified: \(report.verified), problems: \(report.problems.count)")
        for problem in report.problems { print("  \(problem)") }
        if report.integrity != "ok" || !report.problems.isEmpty { throw ExitCode(1) }
    }
}
