import Foundation
import XCTest

/// The Astra package resource and bearer-token access, over real HTTP with curl.
final class AstraAuthTests: XCTestCase {
    static let account = "8f84cf09-8036-41e4-b579-bd30cb07b269"
    static let otherAccount = "2b1c7a55-0d7e-4c39-9a57-5f3f2d1e9c41"
    static let tokens = ["manager-secret PACKAGE_MANAGER \(account)",
                         "reader-secret READER \(account)",
                         "stranger-secret PACKAGE_MANAGER \(otherAccount)"]
    static let agent = "t-oceanbase-ocp-agent-3.1.2-20210812221645.alios7.x86_64.tar.gz"
    let manager = "-H 'Authorization: Bearer manager-secret'"
    let reader = "-H 'Authorization: Bearer reader-secret'"

    func testTheCollectionComesInPagesWhenALimitIsGiven() throws {
        let s = try ServedStore.start(self)
        let names = ["obproxy-3.2.0-1.el7.x86_64.tar.gz", "obproxy-3.2.1-1.el7.x86_64.tar.gz", "obproxy-3.2.2-1.el7.x86_64.tar.gz"]
        for name in names {
            s.makePackage(name)
            XCTAssertEqual(s.curl("-F file=@\(name) $B/api/v2/software-packages").status, 200)
        }
        let collection = "$B/accounts/\(s.account)/core/v1/packages"
        var seen: [String] = []
        var token: String?
        for round in 0..<3 {
            let page = s.curl("\"\(collection)?limit=2&count=true\(token.map { "&continue=\($0)" } ?? "")\"")
            XCTAssertEqual(page.status, 200, page.body)
            let items = try XCTUnwrap(page.json["items"] as? [[String: Any]])
            let metadata = try XCTUnwrap(page.json["metadata"] as? [String: Any])
            XCTAssertEqual(metadata["count"] as? Int, items.count)
            seen += items.compactMap { $0["id"] as? String }
            token = metadata["continue"] as? String
            if token == nil {
                XCTAssertEqual(round, 1, "two pages of at most two")
                break
            }
        }
        let all = try XCTUnwrap(s.curl(collection).json["items"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        XCTAssertEqual(all.count, 3, "no limit: every package")
        XCTAssertEqual(seen, all, "the pages, in order, are the whole collection once")
        let unbounded = s.curl("\"\(collection)?limit=9223372036854775807\"")
        XCTAssertEqual(unbounded.status, 200, unbounded.body)
        XCTAssertEqual((unbounded.json["items"] as? [[String: Any]])?.count, 3, "a limit no page reaches: every package")
        for bad in ["limit=0", "limit=x", "continue=abc", "count=maybe"] {
            let r = s.curl("\"\(collection)?\(bad)\"")
            XCTAssertEqual(r.status, 400, bad)
            XCTAssertEqual(r.json["type"] as? String, "https://astra.netapp.io/problems/6", bad)
            XCTAssertEqual((r.json["invalidParams"] as? [[String: Any]])?.count, 1, bad)
        }
    }

    func testAstraResourceByUUIDAndCollection() throws {
        let s = try ServedStore.start(self)
        s.makePackage(Self.agent)
        XCTAssertEqual(s.curl("-F file=@\(Self.agent) $B/api/v2/software-packages").status, 200)
        let list = s.curl("$B/accounts/\(s.account)/core/v1/packages")
        XCTAssertEqual(list.status, 200, list.body)
        let items = try XCTUnwrap(list.json["items"] as? [[String: Any]])
        XCTAssertEqual(items.count, 1)
        XCTAssertNotNil(list.json["metadata"] as? [String: Any])
        let uuid = try XCTUnwrap(items[0]["id"] as? String)

        let r = s.curl("$B/accounts/\(s.account)/core/v1/packages/\(uuid)")
        XCTAssertEqual(r.status, 200, r.body)
        XCTAssertEqual(r.json["type"] as? String, "application/astra-package")
        XCTAssertEqual(r.json["version"] as? String, "1.0")
        XCTAssertEqual(r.json["id"] as? String, uuid)
        XCTAssertEqual(r.json["packageName"] as? String, "t-oceanbase-ocp-agent")
        XCTAssertEqual(r.json["packageVersion"] as? String, "3.1.2")
        XCTAssertEqual(r.json["packageState"] as? String, "available")
        XCTAssertEqual(r.json["packageType"] as? String, "install")
        XCTAssertEqual(r.json["severityLevel"] as? String, "recommended")
        XCTAssertEqual((r.json["packageStateTransitions"] as? [Any])?.count, 4)
        XCTAssertEqual((r.json["packageStateDetails"] as? [Any])?.count, 0)
        for key in ["bundleName", "images", "artifacts", "files", "dependencies"] {
            XCTAssertNotNil(r.json[key] as? [Any], key)
        }
        XCTAssertNil(r.json["sha1"], "OCP fields stay out of the Astra resource")
        let metadata = try XCTUnwrap(r.json["metadata"] as? [String: Any])
        XCTAssertEqual(Set(metadata.keys), ["labels", "creationTimestamp", "modificationTimestamp", "createdBy", "modifiedBy"])
        XCTAssertEqual(metadata["createdBy"] as? String, s.account)
    }

    func testProblemDocumentsForEachRefusal() throws {
        let s = try ServedStore.start(self, account: Self.account, tokens: Self.tokens)
        s.makePackage(Self.agent)
        XCTAssertEqual(s.curl("\(manager) -F file=@\(Self.agent) $B/api/v2/software-packages").status, 200)
        let uuid = try XCTUnwrap(((s.curl("\(reader) $B/accounts/\(Self.account)/core/v1/packages").json["items"]
                                    as? [[String: Any]])?.first?["id"]) as? String)
        let resource = "$B/accounts/\(Self.account)/core/v1/packages/\(uuid)"

        func problem(_ arguments: String, _ status: Int, _ type: Int, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
            let r = s.curl(arguments)
            XCTAssertEqual(r.status, status, r.body, file: file, line: line)
            XCTAssertEqual(r.json["status"] as? String, String(status), r.body, file: file, line: line)
            XCTAssertEqual(r.json["type"] as? String, "https://astra.netapp.io/problems/\(type)", r.body, file: file, line: line)
            XCTAssertFalse((r.json["title"] as? String ?? "").isEmpty, file: file, line: line)
            XCTAssertFalse((r.json["detail"] as? String ?? "").isEmpty, file: file, line: line)
            XCTAssertNotNil(r.json["correlationID"] as? String, file: file, line: line)
            XCTAssertFalse(r.body.contains("secret"), "a token leaked into a response", file: file, line: line)
            return r.json
        }

        XCTAssertEqual(s.curl("\(reader) \(resource)").status, 200)
        XCTAssertEqual(problem(resource, 401, 3)["title"] as? String, "Missing bearer token")
        _ = problem("-H 'Authorization: Bearer wrong' \(resource)", 401, 4)
        _ = problem("-H 'Authorization: Basic bWU6eW91' \(resource)", 401, 4)
        let bad = problem("\(reader) $B/accounts/\(Self.account)/core/v1/packages/not-a-uuid", 400, 5)
        let invalid = try XCTUnwrap(bad["invalidParams"] as? [[String: Any]])
        XCTAssertEqual(invalid.first?["name"] as? String, "package_id")
        XCTAssertFalse((invalid.first?["reason"] as? String ?? "").isEmpty)
        _ = problem("\(reader) $B/accounts/\(Self.otherAccount)/core/v1/packages/\(uuid)", 403, 11)
        _ = problem("\(reader) $B/accounts/\(Self.otherAccount)/core/v1/packages", 403, 11)
        _ = problem("-H 'Authorization: Bearer stranger-secret' $B/accounts/\(Self.otherAccount)/core/v1/packages/\(uuid)", 404, 2)
        _ = problem("\(reader) $B/accounts/\(Self.account)/core/v1/packages/\(UUID().uuidString.lowercased())", 404, 1)

        // The server's log and output never show a token.
        XCTAssertFalse(s.startLine.contains("secret"))
    }

    func testOCPNeedsATokenAndUploadNeedsPackageManager() throws {
        let s = try ServedStore.start(self, account: Self.account, tokens: Self.tokens)
        s.makePackage(Self.agent)
        let anonymous = s.curl("-F file=@\(Self.agent) $B/api/v2/software-packages")
        XCTAssertEqual(anonymous.status, 401, anonymous.body)
        XCTAssertEqual(anonymous.json["successful"] as? Bool, false)
        XCTAssertEqual(s.curl("-H 'Authorization: Bearer nope' $B/api/v2/software-packages").status, 401)
        let byReader = s.curl("\(reader) -F file=@\(Self.agent) $B/api/v2/software-packages")
        XCTAssertEqual(byReader.status, 403, byReader.body)
        XCTAssertEqual(s.curl("-H 'Authorization: Bearer stranger-secret' -F file=@\(Self.agent) $B/api/v2/software-packages").status, 403)
        XCTAssertEqual(s.curl("\(manager) -F file=@\(Self.agent) $B/api/v2/software-packages").status, 200)
        XCTAssertEqual(s.curl("\(reader) $B/api/v2/software-packages").status, 200)
        let download = s.sh("curl -sS -f \(reader) -o got $B/api/v2/files/sys-package/\(Self.agent) && cmp got \(Self.agent)")
        XCTAssertTrue(download.ok, download.stderr)
        XCTAssertEqual(s.curl("$B/api/v2/files/sys-package/\(Self.agent)").status, 401)
    }
}
