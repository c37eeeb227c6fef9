import Foundation
import XCTest
@testable import PkgfsModel

final class JSONValueTests: XCTestCase {
    /// What meta.json always looked like: Foundation's pretty printer with sorted keys.
    private func foundation(_ object: Any) throws -> [UInt8] {
        [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
    }

    func testRendersLikeFoundationsPrettyPrinter() throws {
        let documents: [[String: Any]] = [
            [:],
            ["b": 1, "a": "x", "B": [Any](), "nested": ["z": NSNull(), "y": [[String: Any]](), "x": [:] as [String: Any]]],
            ["fileName": "a/b c.rpm", "files": [1, 2, 3], "Files": "upper", "sha1": "00", "sha256": "11"],
            ["text": "quote \" backslash \\ slash / newline \n tab \t cr \r bell \u{7} nul \u{0} unit \u{1f} é 漢 🚀"],
            ["list": [["from": "a", "to": ["b", "c"]], ["from": "d", "to": [String]()]], "negative": -42, "big": Int64.max],
        ]
        for document in documents {
            // Read back and written again, Foundation's text comes out byte for byte (keys in its order).
            let expected = String(decoding: try foundation(document), as: UTF8.self)
            let parsed = try XCTUnwrap(JSONValue.parse(expected), expected)
            XCTAssertEqual(String(decoding: parsed.prettyPrinted(), as: UTF8.self), expected)
            XCTAssertEqual(String(decoding: JSONValue.object(parsed.reversedMembers).prettyPrinted(), as: UTF8.self), expected,
                           "members in any order are sorted")
        }
    }

    /// Keys compared byte by byte (ASCII) or lowered (the rest) come out as they always did:
    /// case-insensitive first, lowercase before uppercase, a prefix before what extends it; for
    /// keys of letters that is Foundation's order too (whose collation puts punctuation and
    /// accented letters elsewhere: meta.json never followed it there).
    func testKeysSortCaseInsensitivelyThenLowercaseFirst() throws {
        let letters = ["a", "A", "b", "B", "z", "Z", "aa", "Aa"]
        let others = ["_", "-", "0", "~", "é", "É", "ß", "漢"]
        var state: UInt64 = 42
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        func document(_ pieces: [String]) -> [String: Int] {
            var keys: [String: Int] = [:]
            for _ in 0..<(1 + next(12)) { keys[(0..<next(4)).map { _ in pieces[next(pieces.count)] }.joined()] = next(100) }
            return keys
        }
        func rendered(_ document: [String: Int]) -> String {
            String(decoding: JSONValue.object(document.map { (key: $0.key, value: .number(String($0.value))) }).prettyPrinted(), as: UTF8.self)
        }
        for _ in 0..<300 {
            let lettersOnly = document(letters)
            XCTAssertEqual(rendered(lettersOnly), String(decoding: try foundation(lettersOnly), as: UTF8.self))

            let any = document(letters + others)
            let keys = any.keys.sorted { a, b in
                let (lowerA, lowerB) = (a.lowercased(), b.lowercased())
                return lowerA != lowerB ? lowerA < lowerB : a > b
            }
            XCTAssertEqual(rendered(any), "{\n" + keys.map { "  \"\($0)\" : \(any[$0]!)" }.joined(separator: ",\n") + "\n}")
        }
    }

    func testFoundationObjectRoundTrips() throws {
        let text = #"{"a":[1,2.5,"x",null,true,{"b":false}],"c":{}}"#
        let value = try XCTUnwrap(JSONValue.parse(text))
        let data = try JSONSerialization.data(withJSONObject: value.foundationObject, options: [.sortedKeys])
        XCTAssertEqual(JSONValue.parse(String(decoding: data, as: UTF8.self)), value)
    }

    func testParsedDocumentsRenderLikeFoundation() throws {
        let text = #"{"release":"1.el7","requires":["rpmlib(x) <= 4.6.0-1","/bin/sh"],"buildtime":1651563788,"#
            + #""flags":{"ok":true,"no":false,"none":null},"escaped":"\u00e9\ud83d\ude80\/\"","Summary":"S"}"#
        let parsed = try XCTUnwrap(JSONValue.parse(text))
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        XCTAssertEqual(String(decoding: parsed.prettyPrinted(), as: UTF8.self),
                       String(decoding: try foundation(object), as: UTF8.self))
        XCTAssertEqual(parsed["buildtime"], .number("1651563788"))
        XCTAssertEqual(parsed["escaped"], .string("é🚀/\""))
        XCTAssertEqual(parsed["flags"]?["ok"], .bool(true))
    }

    func testNumbersKeepTheirText() {
        XCTAssertEqual(JSONValue.parse("[-0.5e+3, 0, 10, 1.25]"),
                       .array([.number("-0.5e+3"), .number("0"), .number("10"), .number("1.25")]))
    }

    func testRejectsWhatIsNotOneJSONValue() {
        let bad = ["", " ", "{", "}", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "-", "1.", "1e", ".5", "tru", "nulll",
                   "\"open", "\"bad \\x escape\"", "\"raw \n newline\"", "\"\\ud800 lone surrogate\"", "[1] [2]",
                   "{1:2}", "\"\\u12G4\""]
        for text in bad { XCTAssertNil(JSONValue.parse(text), text) }
    }

    func testDeepNestingIsRefusedNotACrash() {
        XCTAssertNil(JSONValue.parse(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)))
        XCTAssertNotNil(JSONValue.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
    }

    func testMetaDocumentIsValidJSONWithTheDetailsInside() throws {
        let package = Package(id: 7, name: "n", fileName: "n-1.0-1.el7.x86_64.rpm", fileExtension: "rpm", size: 10,
                              sha1: "s1", type: "GENERIC_PACKAGE", version: "1.0", buildNumber: "1",
                              operatingSystem: "el7", architecture: "x86_64", uuid: "u", sha256: "s256", format: .rpm,
                              state: .available, createdAt: Date(timeIntervalSince1970: 0),
                              modifiedAt: Date(timeIntervalSince1970: 0), createdBy: "a", modifiedBy: "a",
                              formatDetailsJSON: #"{"license":"MIT","buildtime":5}"#)
        let bytes = MetaDocument.render(package, downloadUrl: "/mnt/x")
        XCTAssertEqual(bytes.last, 0x0A)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        XCTAssertEqual((object["rpm"] as? [String: Any])?["license"] as? String, "MIT")
        XCTAssertEqual(object["id"] as? Int, 7)
        XCTAssertEqual(String(decoding: bytes.dropLast(), as: UTF8.self),
                       String(decoding: try foundation(object), as: UTF8.self))
    }
}

private extension JSONValue {
    var reversedMembers: [(key: String, value: JSONValue)] {
        guard case .object(let members) = self else { return [] }
        return members.reversed()
    }
}
