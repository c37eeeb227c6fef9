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
        // On a terminal one line counts up; elsewhere (a log, CI) a line per tenth.
        let terminal = isatty(STDERR_FILENO) != 0
        let report = try repository.verify { done, total in
            if terminal {
                FileHandle.standardError.write(Data("\rverifying \(done)/\(total)".utf8))
            } else if done == total || done % max(1, total / 10) == 0 {
                FileHandle.standardError.write(Data("verifying \(done)/\(total)\n".utf8))
            }
        }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        print("catalog: \(report.integrity)")
        print("packages: \(report.packages), blobs verified: \(report.verified), problems: \(report.problems.count)")
        for problem in report.problems { print("  \(problem)") }
        if report.integrity != "ok" || !report.problems.isEmpty { throw ExitCode(1) }
    }
}
