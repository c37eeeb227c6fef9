import ArgumentParser
import Foundation
import PkgfsStore

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a store: SQLite integrity, every blob present and matching its SHA-256.")

    @OptionGroup var storeOption: StoreOption

    func run() throws {
        let repository = try Repository(root: storeOption.root)
        let report = try repository.verify { done, total in
            FileHandle.standardError.write(Data("\rverifying \(done)/\(total)".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print("catalog: \(report.integrity)")
        print("packages: \(report.packages), blobs verified: \(report.verified), problems: \(report.problems.count)")
        for problem in report.problems { print("  \(problem)") }
        if report.integrity != "ok" || !report.problems.isEmpty { throw ExitCode(1) }
    }
}
