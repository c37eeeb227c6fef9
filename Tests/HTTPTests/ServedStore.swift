import Foundation
import TestSupport
import XCTest

/// A temp store served by the real `pkgfs serve` on a free loopback port; stopped (SIGTERM)
/// and removed after the test, also when it fails.
final class ServedStore {
    let root: String
    let store: String
    private(set) var baseURL = ""
    private(set) var startLine = ""
    private var process: Process?

    /// `account`: written to <store>/account-id first, so a tokens file can name it.
    /// `tokens`: lines for a tokens file (`--tokens`); nil serves without tokens.
    /// `environment`: added to the server's (test hooks such as `PKGFS_TEST_VERIFY_GATE`).
    static func start(_ test: XCTestCase, account: String? = nil, tokens: [String]? = nil,
                      environment: [String: String] = [:],
                      file: StaticString = #filePath, line: UInt = #line) throws -> ServedStore {
        let served = ServedStore()
        test.addTeardownBlock { served.stop() }
        try FileManager.default.createDirectory(atPath: served.store, withIntermediateDirectories: true)
        if let account { try (account + "\n").write(toFile: served.store + "/account-id", atomically: true, encoding: .utf8) }
        var arguments = ["serve", "--store", served.store, "--listen", "127.0.0.1:0", "--log-level", "warning"]
        if let tokens {
            let path = served.root + "/tokens"
            try (tokens.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            arguments += ["--tokens", path]
        }
        try served.launch(arguments, environment: environment, file: file, line: line)
        return served
    }

    private init() {
        root = NSTemporaryDirectory() + "pkgfs-http-test-" + UUID().uuidString.prefix(8).lowercased()
        store = root + "/store"
    }

    static var binary: String {
        if let explicit = ProcessInfo.processInfo.environment["PKGFS_BIN"] { return explicit }
        let bundle = Bundle(for: ServedStore.self).bundleURL
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("pkgfs").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    private func launch(_ arguments: [String], environment: [String: String], file: StaticString, line: UInt) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Wait for "pkgfs: serving <store> at http://127.0.0.1:PORT (...)".
        let reader = out.fileHandleForReading
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !text.contains("\n") {
            let data = reader.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let range = text.range(of: "http://127.0.0.1:[0-9]+", options: .regularExpression) else {
            XCTFail("pkgfs serve did not start: \(text)", file: file, line: line)
            throw XCTSkip("no server")
        }
        startLine = text.trimmingCharacters(in: .whitespacesAndNewlines)
        baseURL = String(text[range])
    }

    var account: String {
        ((try? String(contentsOfFile: store + "/account-id", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() {
        if let process, process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        process = nil
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Runs a shell command in the test's directory with $B = base URL.
    @discardableResult
    func sh(_ command: String) -> ShellResult {
        Shell.run("cd \(Shell.quote(root)) && " + command, environment: ["B": baseURL])
    }

    /// curl: the status code and the body (parsed as JSON when it is JSON).
    func curl(_ arguments: String) -> (status: Int, body: String, json: [String: Any]) {
        let result = sh("curl -sS -o body.out -w '%{http_code}' \(arguments); cat body.out >&2; rm -f body.out")
        let body = result.stderr
        let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        return (Int(result.trimmed) ?? -1, body, json)
    }

    /// Makes a small real package, a tar.gz named by the OCP convention, and returns its path.
    @discardableResult
    func makePackage(_ fileName: String, content: String = "hello") -> String {
        let dir = root + "/src-" + UUID().uuidString.prefix(6)
        let result = sh("mkdir -p \(Shell.quote(dir))/bin && printf '%s\\n' \(Shell.quote(content)) > \(Shell.quote(dir))/bin/tool && printf 'readme of %s\\n' \(Shell.quote(fileName)) > \(Shell.quote(dir))/README && tar czf \(Shell.quote(fileName)) -C \(Shell.quote(dir)) bin README")
        XCTAssertTrue(result.ok, result.stderr)
        return root + "/" + fileName
    }
}
