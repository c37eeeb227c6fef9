import PkgfsModel
import XCTest

/// The OCP keyword rule, as the search indexes apply it (SQL LIKE for ASCII keywords).
final class KeywordMatchTests: XCTestCase {
    func testASCIIKeywordsFoldASCIILettersOnly() {
        XCTAssertTrue(KeywordMatch.contains("t-oceanbase-ocp-agent", "OCP-Agent"))
        XCTAssertTrue(KeywordMatch.contains("OB_SERVER_INSTALL_PACKAGE", "server_install"))
        XCTAssertTrue(KeywordMatch.contains("x86_64", "x86_64"))
        XCTAssertTrue(KeywordMatch.contains("abc", "abc"))
        XCTAssertFalse(KeywordMatch.contains("ab", "abc"), "a keyword longer than the value")
        XCTAssertFalse(KeywordMatch.contains("x86-64", "x86_64"), "_ is a character here, not LIKE's wildcard")
        XCTAssertFalse(KeywordMatch.contains("3.1.2", "3%2"))
        XCTAssertTrue(KeywordMatch.contains("café-agent", "-AGENT"), "ASCII found beside other letters")
        XCTAssertTrue(KeywordMatch.contains("cafe\u{301}", "cafe"), "an ASCII keyword matches bytes, as LIKE does")
    }

    func testOtherKeywordsFoldAnyScript() {
        XCTAssertTrue(KeywordMatch.contains("ÉCOLE-tools", "école"))
        XCTAssertTrue(KeywordMatch.contains("пакет-1.0", "ПАКЕТ"))
        XCTAssertFalse(KeywordMatch.contains("пакет", "пакеты"))
    }

    func testAnASCIIKeywordHashesAsItIsFolded() {
        XCTAssertEqual(KeywordMatch.foldedHash(ofASCIIKeyword: "OCP-Agent"), KeywordMatch.foldedHash(ofASCIIKeyword: "ocp-agent"))
        XCTAssertNotEqual(KeywordMatch.foldedHash(ofASCIIKeyword: "ocp-agent"), KeywordMatch.foldedHash(ofASCIIKeyword: "ocp_agent"))
        XCTAssertNil(KeywordMatch.foldedHash(ofASCIIKeyword: "école"), "other keywords are matched one by one")
    }

    func testTheEmptyKeywordMatchesEverything() {
        XCTAssertTrue(KeywordMatch.contains("", ""))
        XCTAssertTrue(KeywordMatch.contains("anything", ""))
    }
}
