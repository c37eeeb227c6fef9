import Foundation
import XCTest
@testable import PkgfsModel

/// CompactJSONEncoder writes the JSON value Foundation's JSONEncoder writes (key order aside).
final class CompactJSONEncoderTests: XCTestCase {
    enum Algorithm: String, Codable { case md5, sha256 }
    enum Shape: Codable { case point, circle(radius: Double), labelled(String, Int) }
    struct Empty: Codable {}
    struct Inner: Codable { var name: String; var flags: [Int8]; var digest: Algorithm? }
    struct Everything: Codable {
        var text = "quote \" backslash \\ slash / newline \n tab \t nul \u{0} unit \u{1f} é 漢 🚀"
        var yes = true, no = false
        var int = -42, int64 = Int64.max, int32 = Int32.min, int16: Int16 = -7, int8: Int8 = 5
        var uint = UInt.max, uint64 = UInt64.max, uint32: UInt32 = 4, uint16: UInt16 = 3, uint8: UInt8 = 2
        var double = 2.5, integralDouble = 3.0, tiny = 1.5e-7, huge = 1e300, negative = -0.25
        var float: Float = 0.1
        var absent: String? = nil, present: String? = "here"
        var date = Date(timeIntervalSinceReferenceDate: 123_456.5)
        var data = Data([0, 1, 2, 250, 255])
        var url = URL(string: "https://example.com/a b?q=1")!
        var algorithm = Algorithm.sha256
        var inners = [Inner(name: "a", flags: [], digest: nil), Inner(name: "b", flags: [1, -1], digest: .md5)]
        var nested: [[String]] = [[], ["x"], ["y", "z"]]
        var emptyList: [Inner] = []
        var dictionary = ["b": 2, "a": 1]
        var intKeyed = [3: "three", 1: "one"]
        var empty = Empty()
        var shapes: [Shape] = [.point, .circle(radius: 1.25), .labelled("l", 9)]
        var optionalList: [String?] = ["a", nil]
    }

    private func foundation<T: Encodable>(_ value: T) throws -> JSONValue {
        try XCTUnwrap(JSONValue.parse(String(decoding: try JSONEncoder().encode(value), as: UTF8.self)))
    }

    private func compact<T: Encodable>(_ value: T) throws -> JSONValue {
        let text = try CompactJSONEncoder.encode(value)
        return try XCTUnwrap(JSONValue.parse(text), "not JSON: \(text)")
    }

    /// Same value, compared in Foundation's sorted layout so key order does not matter.
    private func assertSameAsFoundation<T: Encodable>(_ value: T, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = String(decoding: try foundation(value).prettyPrinted(), as: UTF8.self)
        let got = String(decoding: try compact(value).prettyPrinted(), as: UTF8.self)
        XCTAssertEqual(got, expected, file: file, line: line)
    }

    func testEveryKindOfValueMatchesFoundation() throws {
        try assertSameAsFoundation(Everything())
    }

    func testTopLevelPrimitivesListsAndEmptyValues() throws {
        try assertSameAsFoundation([String]())
        try assertSameAsFoundation([Inner]())
        try assertSameAsFoundation(Empty())
        try assertSameAsFoundation(["only"])
        try assertSameAsFoundation([[Int]]([[], [1], []]))
        try assertSameAsFoundation([String: [Inner]]())
        XCTAssertEqual(try CompactJSONEncoder.encode("x\"y"), #""x\"y""#)
        XCTAssertEqual(try CompactJSONEncoder.encode(7), "7")
        XCTAssertEqual(try CompactJSONEncoder.encode([Int]()), "[]")
        XCTAssertEqual(try CompactJSONEncoder.encode(Empty()), "{}")
    }

    func testNestedContainersCloseBeforeTheirNextSibling() throws {
        let value = [Inner(name: "1", flags: [1, 2], digest: .md5), Inner(name: "2", flags: [], digest: nil)]
        XCTAssertEqual(try CompactJSONEncoder.encode(value),
                       #"[{"name":"1","flags":[1,2],"digest":"md5"},{"name":"2","flags":[]}]"#)
    }

    class Base: Encodable {
        var base = 1
    }

    final class Derived: Base {
        enum Keys: String, CodingKey { case own, parent, unused, items }
        var own = 2
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(own, forKey: .own)
            try super.encode(to: container.superEncoder())
            try super.encode(to: container.superEncoder(forKey: .parent))
            _ = container.superEncoder(forKey: .unused)  // handed out, never written: {} as Foundation
            var list = container.nestedUnkeyedContainer(forKey: .items)
            _ = list.superEncoder()
            try list.encode(3)
        }
    }

    func testSuperEncodersWriteTheirValueOrAnEmptyObject() throws {
        try assertSameAsFoundation(Derived())
        try assertSameAsFoundation([Derived(), Derived()])
    }

    func testNonFiniteNumbersAreRefused() {
        XCTAssertThrowsError(try CompactJSONEncoder.encode([Double.nan]))
        XCTAssertThrowsError(try CompactJSONEncoder.encode(["x": Double.infinity]))
        XCTAssertThrowsError(try JSONEncoder().encode([Double.nan]), "Foundation refuses them too")
    }
}
