import Foundation
import TestSupport
import XCTest

/// The OCP API of `pkgfs serve`, over real HTTP with curl.
final class OCPTests: XCTestCase {
    static let agent = "t-oceanbase-ocp-agent-3.1.2-20210812221645.alios7.x86_64.tar.gz"
    static let ocpKeys: Set<String> = ["id", "name", "fileName", "extension", "size", "sha1", "downloadUrl",
                                       "type", "version", "buildNumber", "operatingSystem", "architecture"]

    func testUploadAnswersTheEnvelopeWithTheMeta() throws {
        let s = try ServedStore.start(self)
        XCTAssertTrue(s.startLine.contains("account \(s.account)"), s.startLine)
        let path = s.makePackage(Self.agent)
        let sha1 = s.sh("sha1sum \(Shell.quote(path)) | cut -d' ' -f1").trimmed
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)

        let r = s.curl("-F file=@\(Self.agent) $B/api/v2/software-packages")
        XCTAssertEqual(r.status, 200, r.body)
        XCTAssertEqual(Set(r.json.keys), ["data", "successful", "timestamp", "duration", "status", "traceId", "server"])
        XCTAssertEqual(r.json["successful"] as? Bool, true)
        XCTAssertEqual(r.json["status"] as? Int, 200)
        XCTAssertNotNil(r.json["duration"] as? Int)
        let traceId = try XCTUnwrap(r.json["traceId"] as? String)
        XCTAssertNotNil(traceId.range(of: "^[0-9a-f]{16}$", options: .regularExpression), traceId)
        let timestamp = try XCTUnwrap(r.json["timestamp"] as? String)
        XCTAssertNotNil(timestamp.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$"#, options: .regularExpression), timestamp)
        XCTAssertFalse((r.json["server"] as? String ?? "").isEmpty)

        let data = try XCTUnwrap(r.json["data"] as? [String: Any])
        XCTAssertEqual(Set(data.keys), Self.ocpKeys)
        XCTAssertEqual(data["sha1"] as? String, sha1)
        XCTAssertEqual(data["size"] as? Int, size)
        XCTAssertEqual(data["fileName"] as? String, Self.agent)
        XCTAssertEqual(data["name"] as? String, "t-oceanbase-ocp-agent")
        XCTAssertEqual(data["version"] as? String, "3.1.2")
        XCTAssertEqual(data["buildNumber"] as? String, "20210812221645")
        XCTAssertEqual(data["operatingSystem"] as? String, "alios7")
        XCTAssertEqual(data["architecture"] as? String, "x86_64")
        XCTAssertEqual(data["type"] as? String, "OCP_AGENT_INSTALL_PACKAGE")
        XCTAssertEqual(data["downloadUrl"] as? String, "\(s.baseURL)/api/v2/files/sys-package/\(Self.agent)")
        let id = try XCTUnwrap(data["id"] as? Int)

        // Same bytes again: idempotent, the same package.
        let again = s.curl("-F file=@\(Self.agent) $B/api/v2/software-packages")
        XCTAssertEqual(again.status, 200, again.body)
        XCTAssertEqual((again.json["data"] as? [String: Any])?["id"] as? Int, id)
    }

    func testSameNameOtherBytesIsAConflict() throws {
        let s = try ServedStore.start(self)
        s.makePackage(Self.agent, content: "one")
        XCTAssertEqual(s.curl("-F file=@\(Self.agent) $B/api/v2/software-packages").status, 200)
        s.makePackage(Self.agent, content: "two")
        let r = s.curl("-F file=@\(Self.agent) $B/api/v2/software-packages")
        XCTAssertEqual(r.status, 409, r.body)
        XCTAssertEqual(r.json["successful"] as? Bool, false)
        XCTAssertEqual(r.json["status"] as? Int, 409)
        let error = try XCTUnwrap(r.json["error"] as? [String: Any])
        XCTAssertEqual(error["code"] as? String, "CONFLICT")
        XCTAssertTrue((error["message"] as? String ?? "").contains("already exists"), r.body)
    }

    func testBadContentIsKeptAsCorruptWith422AndDetails() throws {
        let s = try ServedStore.start(self)
        let name = "broken-1.0-1.el7.x86_64.tar.gz"
        s.sh("head -c 3000 /dev/urandom > \(name)")
        let r = s.curl("-F file=@\(name) $B/api/v2/software-packages")
        XCTAssertEqual(r.status, 422, r.body)
        XCTAssertEqual(r.json["successful"] as? Bool, false)
        let error = try XCTUnwrap(r.json["error"] as? [String: Any])
        let details = try XCTUnwrap(error["details"] as? [[String: Any]])
        XCTAssertFalse(details.isEmpty, r.body)
        XCTAssertEqual((r.json["data"] as? [String: Any])?["fileName"] as? String, name)
    }

    func testMissingFileFieldOrNotMultipartIs400() throws {
        let s = try ServedStore.start(self)
        s.makePackage(Self.agent)
        let other = s.curl("-F other=@\(Self.agent) $B/api/v2/software-packages")
        XCTAssertEqual(other.status, 400, other.body)
        XCTAssertTrue((other.json["error"] as? [String: Any])?["message"].map { "\($0)" }?.contains("`file`") ?? false, other.body)
        let plain = s.curl("--data-binary @\(Self.agent) $B/api/v2/software-packages")
        XCTAssertEqual(plain.status, 400, plain.body)
        // A name that is not UTF-8 (Latin-1 é) is refused, as `cp` into incoming/ refuses it.
        let latin1 = s.curl("-F \"file=@\(Self.agent);filename=$(printf 'caf\\351-1.0-1.el7.x86_64.tar.gz')\" $B/api/v2/software-packages")
        XCTAssertEqual(latin1.status, 400, latin1.body)
        // A leading dot makes a temporary file in the mount, hidden and never registered.
        let dotted = s.curl("-F 'file=@\(Self.agent);filename=.hidden-1.0-1.el7.x86_64.tar.gz' $B/api/v2/software-packages")
        XCTAssertEqual(dotted.status, 400, dotted.body)
        XCTAssertTrue(dotted.body.contains("starts with a dot"), dotted.body)
        let good = s.curl("-F file=@\(Self.agent) $B/api/v2/software-packages")
        XCTAssertEqual(good.status, 200, good.body)
        // A Windows client path names the package by its last part.
        let windows = s.curl(#"-F 'file=@\#(Self.agent);filename=C:\Users\x\delta-2.0-1.el7.x86_64.tar.gz' $B/api/v2/software-packages"#)
        XCTAssertEqual(windows.status, 200, windows.body)
        XCTAssertEqual((windows.json["data"] as? [String: Any])?["fileName"] as? String, "delta-2.0-1.el7.x86_64.tar.gz", windows.body)
        // Nothing half-registered by the refused ones.
        let list = s.curl("$B/api/v2/software-packages")
        XCTAssertEqual(((list.json["data"] as? [String: Any])?["page"] as? [String: Any])?["totalElements"] as? Int, 2)
    }

    func testQueryByKeywordWithPagingNewestFirst() throws {
        let s = try ServedStore.start(self)
        let names = ["t-oceanbase-ocp-agent-3.1.2-20210812221645.alios7.x86_64.tar.gz",
                     "obproxy-3.2.0-1.el7.x86_64.tar.gz",
                     "t-oceanbase-ocp-agent-3.1.3-20211001000000.alios7.aarch64.tar.gz"]
        for name in names {
            s.makePackage(name)
            XCTAssertEqual(s.curl("-F file=@\(name) $B/api/v2/software-packages").status, 200)
            usleep(20_000)
        }
        func page(_ query: String) throws -> (names: [String], page: [String: Any]) {
            let r = s.curl("\"$B/api/v2/software-packages?\(query)\"")
            XCTAssertEqual(r.status, 200, r.body)
            let data = try XCTUnwrap(r.json["data"] as? [String: Any])
            let contents = try XCTUnwrap(data["contents"] as? [[String: Any]])
            return (contents.compactMap { $0["fileName"] as? String }, try XCTUnwrap(data["page"] as? [String: Any]))
        }
        let all = try page("")
        XCTAssertEqual(all.names, names.reversed())
        let agent1 = try page("keyword=OCP-AGENT&page=1&size=1")
        XCTAssertEqual(agent1.names, [names[2]])
        XCTAssertEqual(agent1.page["totalElements"] as? Int, 2)
        XCTAssertEqual(agent1.page["totalPages"] as? Int, 2)
        XCTAssertEqual(agent1.page["number"] as? Int, 1)
        XCTAssertEqual(agent1.page["size"] as? Int, 1)
        XCTAssertEqual(try page("keyword=ocp-agent&page=2&size=1").names, [names[0]])
        XCTAssertEqual(try page("keyword=ocp-agent&page=3&size=1").names, [])
        XCTAssertEqual(try page("keyword=aarch64").names, [names[2]])
        XCTAssertEqual(try page("keyword=3.2.0").names, [names[1]])
        XCTAssertEqual(try page("keyword=OBPROXY_INSTALL").names, [names[1]])
        XCTAssertEqual(try page("sort=uploadTime,asc").names, names)
        XCTAssertEqual(s.curl("\"$B/api/v2/software-packages?size=0\"").status, 400)
        XCTAssertEqual(s.curl("\"$B/api/v2/software-packages?sort=name\"").status, 400)
        XCTAssertEqual(s.curl("\"$B/api/v2/software-packages?keyword=%00\"").status, 400, "NUL ended SQLite's pattern: it matched all")
        // A page whose offset no integer holds is past the end, as any page past it: empty.
        for query in ["page=9223372036854775807&size=10", "keyword=ocp&page=1000000000000000000&size=1000"] {
            let far = try page(query)
            XCTAssertEqual(far.names, [], query)
            XCTAssertNotNil(far.page["totalElements"] as? Int, query)
        }
        XCTAssertEqual(try page("").names.count, 3, "the server still answers")
    }

    /// SPEC §4: a package being verified is an upload in flight, not a failed one to replace.
    /// The same bytes posted again meanwhile (a client's retry) end as the first upload does;
    /// other bytes get 409. Before, either replaced the bundle and the first upload got 404.
    func testAnUploadOfANameBeingVerifiedEndsAsTheFirstOrConflicts() throws {
        let gate = NSTemporaryDirectory() + "pkgfs-verify-gate-" + UUID().uuidString.prefix(8).lowercased()
        addTeardownBlock { unlink(gate) }
        let s = try ServedStore.start(self, environment: ["PKGFS_TEST_VERIFY_GATE": gate])
        addTeardownBlock { _ = FileManager.default.createFile(atPath: gate, contents: nil) }
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples").path
        let name = "acc-twice-3.2.0.tar.gz"
        let built = s.sh("""
            mkdir -p mat other && tar cf mat/provider.tar -C /etc passwd && printf 'kind: Config\\n' > mat/acc.yaml \
            && \(examples)/make-bundle.sh \(name) acc 3.2.0 mat/provider.tar -- mat/acc.yaml \
            && cd other && \(examples)/make-bundle.sh \(name) acc 3.2.0 ../mat/provider.tar
            """)
        XCTAssertTrue(built.ok, built.stderr)
        // Each upload a curl of its own, answered only once its package has its final state.
        func post(_ which: String) throws -> Process {
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-sS", "-o", "\(s.root)/\(which).json", "-w", "%{http_code}", "-F", "file=@\(s.root)/\(name)",
                              "\(s.baseURL)/api/v2/software-packages"]
            _ = FileManager.default.createFile(atPath: "\(s.root)/\(which).code", contents: nil)
            curl.standardOutput = FileHandle(forWritingAtPath: "\(s.root)/\(which).code")
            try curl.run()
            addTeardownBlock { if curl.isRunning { curl.terminate() } }
            return curl
        }
        func states() -> [String] {
            let items = s.curl("$B/accounts/\(s.account)/core/v1/packages").json["items"] as? [[String: Any]]
            return (items ?? []).compactMap { $0["packageState"] as? String }
        }
        let first = try post("first")
        var verifying = false
        for _ in 0..<600 where !verifying {
            verifying = states() == ["verifying"]
            if !verifying { usleep(50_000) }
        }
        XCTAssertTrue(verifying, "the first upload never showed verifying")

        let other = s.curl("-F file=@other/\(name) $B/api/v2/software-packages")
        XCTAssertEqual(other.status, 409, "other bytes under the name of a package being verified: \(other.body)")
        let again = try post("again")
        XCTAssertTrue(FileManager.default.createFile(atPath: gate, contents: nil))
        first.waitUntilExit()
        again.waitUntilExit()
        let bodies = ["first", "again"].map { s.sh("cat \($0).json").stdout }
        let answers = bodies.map { body in
            ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]).flatMap { $0["data"] as? [String: Any] }
        }
        XCTAssertEqual(["first", "again"].map { s.sh("cat \($0).code").stdout }, ["200", "200"], bodies.joined(separator: "\n"))
        XCTAssertNotNil(answers[0]?["id"] as? Int, bodies[0])
        XCTAssertEqual(answers[0]?["id"] as? Int, answers[1]?["id"] as? Int, "the retry answers the first upload's package")
        XCTAssertEqual(states(), ["available"], "one package")
    }

    func testDownloadWholeAndRanges() throws {
        let s = try ServedStore.start(self)
        let path = s.makePackage(Self.agent, content: String(repeating: "payload ", count: 5000))
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertEqual(s.curl("-F file=@\(Self.agent) $B/api/v2/software-packages").status, 200)
        let url = "$B/api/v2/files/sys-package/\(Self.agent)"

        let whole = s.sh("curl -sS -D headers -o whole \(url) && cmp whole \(Self.agent) && cat headers")
        XCTAssertTrue(whole.ok, whole.stdout + whole.stderr)
        XCTAssertTrue(whole.stdout.hasPrefix("HTTP/1.1 200"), whole.stdout)
        XCTAssertTrue(whole.stdout.lowercased().contains("accept-ranges: bytes"), whole.stdout)
        XCTAssertTrue(whole.stdout.lowercased().contains("content-length: \(size)"), whole.stdout)

        let part = s.sh("curl -sS -D headers -o part -H 'Range: bytes=10-109' \(url) && cat headers && tail -c +11 \(Self.agent) | head -c 100 | cmp - part")
        XCTAssertTrue(part.ok, part.stdout + part.stderr)
        XCTAssertTrue(part.stdout.hasPrefix("HTTP/1.1 206"), part.stdout)
        XCTAssertTrue(part.stdout.lowercased().contains("content-range: bytes 10-109/\(size)"), part.stdout)

        let suffix = s.sh("curl -sS -o tail -H 'Range: bytes=-7' \(url) && tail -c 7 \(Self.agent) | cmp - tail")
        XCTAssertTrue(suffix.ok, suffix.stderr)
        let open = s.sh("curl -sS -o rest -r \(size - 5)- \(url) && tail -c 5 \(Self.agent) | cmp - rest")
        XCTAssertTrue(open.ok, open.stderr)

        // A last position past the end, also one no integer holds, means the end (RFC 9110).
        for last in ["\(size + 100)", "99999999999999999999"] {
            let clamped = s.sh("curl -sS -D headers -o rest -H 'Range: bytes=3-\(last)' \(url) && cat headers && tail -c +4 \(Self.agent) | cmp - rest")
            XCTAssertTrue(clamped.ok, clamped.stdout + clamped.stderr)
            XCTAssertTrue(clamped.stdout.lowercased().contains("content-range: bytes 3-\(size - 1)/\(size)"), clamped.stdout)
        }
        let huge = s.sh("curl -sS -o /dev/null -D - -H 'Range: bytes=99999999999999999999-' \(url)")
        XCTAssertTrue(huge.stdout.hasPrefix("HTTP/1.1 416"), huge.stdout)

        let beyond = s.sh("curl -sS -o /dev/null -D - -H 'Range: bytes=\(size)-' \(url)")
        XCTAssertTrue(beyond.stdout.hasPrefix("HTTP/1.1 416"), beyond.stdout)
        XCTAssertTrue(beyond.stdout.lowercased().contains("content-range: bytes */\(size)"), beyond.stdout)

        XCTAssertEqual(s.curl("$B/api/v2/files/sys-package/nope-1.0-1.el7.x86_64.rpm").status, 404)

        // A blob cut short on disk: no body shorter than its Content-Length; the package is corrupt.
        XCTAssertTrue(s.sh("truncate -s 100 \(Shell.quote(s.store))/blobs/sha256/*/*").ok)
        let damaged = s.curl(url)
        XCTAssertEqual(damaged.status, 500)
        XCTAssertTrue(damaged.body.contains("damaged"), damaged.body)
        let items = s.curl("$B/accounts/\(s.account)/core/v1/packages").json["items"] as? [[String: Any]]
        XCTAssertEqual(items?.compactMap { $0["packageState"] as? String }, ["corrupt"])
    }

    func testNonLoopbackWithoutTokensAndALockedStoreAreRefused() throws {
        let s = try ServedStore.start(self)
        let binary = Shell.quote(ServedStore.binary)
        let open = Shell.run("\(binary) serve --store \(Shell.quote(s.root + "/other")) --listen 0.0.0.0:0")
        XCTAssertFalse(open.ok)
        XCTAssertTrue(open.stderr.contains("loopback only"), open.stderr)
        let locked = Shell.run("\(binary) serve --store \(Shell.quote(s.store)) --listen 127.0.0.1:0")
        XCTAssertFalse(locked.ok)
        XCTAssertTrue(locked.stderr.contains("in use by another pkgfs process"), locked.stderr)
    }
}
