import ArgumentParser
import Foundation
import PkgfsStore

/// Admin/testing: fills a store's catalog with synthetic packages (scale benchmarks, tests).
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "(testing) Fill a store's catalog with N synthetic packages, without uploads.",
        discussion: """
            For benchmarks and tests at scale (scripts/bench uses it). Inserts realistic catalog
            rows: OCP-like names (oceanbase-ce, t-oceanbase-ocp-agent, obproxy-ce, ob-backup-agent,
            ...) and generic ones, types by the store's type rules, OSes el7/el8/alios7/ubuntu20/...,
            arches x86_64/aarch64/noarch, versions, build numbers, random SHA-1/SHA-256, sizes;
            mostly available, a few corrupt or incomplete.

            No package bytes are written: the original file of a generated package cannot be read
            (EIO), and `pkgfs check` reports its blob missing. Do not run it on a store that holds
            real packages: generated rows can only be removed one package at a time.
            The store must not be mounted while this runs.
            """,
        shouldDisplay: false)

    @OptionGroup var storeOption: StoreOption

    @Option(name: .long, help: "How many packages to add.")
    var count: Int

    @Option(name: .long, help: "Seed of the generator: the same seed on an empty store gives the same packages.")
    var seed: UInt64 = 1

    @Option(name: .long, help: .hidden)
    var batchSize: Int = 10_000

    @Flag(name: .long, help: "Add to a store that already holds packages.")
    var append = false

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be at least 1") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        let repository: Repository
        do {
            repository = try Repository(root: storeOption.root)
        } catch {
            throw CLIError("cannot open store \(storeOption.root): \(error)")
        }
        let existing = try repository.catalog.packageCount()
        if existing > 0 && !append {
            throw CLIError("store \(repository.layout.root) already holds \(existing) packages; pass --append to add synthetic ones anyway")
        }
        let started = Date()
        let progress = ProgressLine()
        try repository.generateSyntheticPackages(count: count, seed: seed, batchSize: batchSize) { done, total in
            let elapsed = Date().timeIntervalSince(started)
            let rate = elapsed > 0 ? Double(done) / elapsed : 0
            progress.report(String(format: "generating %d/%d packages (%.0f/s)", done, total, rate), finished: done == total)
        }
        progress.end()
        let elapsed = Date().timeIntervalSince(started)
        let total = try repository.catalog.packageCount()
        print("pkgfs: generated \(count) synthetic packages in \(String(format: "%.1f", elapsed)) s into \(repository.layout.root) (\(total) in the catalog now)")
    }
}
