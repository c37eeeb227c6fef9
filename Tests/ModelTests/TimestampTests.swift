import Foundation
import XCTest
@testable import PkgfsModel

final class TimestampTests: XCTestCase {
    /// What meta.json's times always were: `String(format:)` of gmtime_r, microseconds rounded
    /// (and held below a second).
    private func formatted(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let micros = Int(((seconds - Double(whole)) * 1_000_000).rounded())
        var tm = tm()
        gmtime_r(&whole, &tm)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
                      Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), min(micros, 999_999))
    }

    func testSeedFormat() {
        XCTAssertEqual(Timestamp.iso8601(Date(timeIntervalSince1970: 1_665_089_896.305662)), "2022-10-06T20:58:16.305662Z")
        XCTAssertEqual(Timestamp.iso8601(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000000Z")
        XCTAssertEqual(Timestamp.iso8601(Date(timeIntervalSince1970: 59.9999999)), "1970-01-01T00:00:59.999999Z",
                       "a fraction that rounds up to a whole second stays in its second")
    }

    func testSameTextAsTheFormatterItReplaced() {
        var state: UInt64 = 7
        for _ in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let seconds = Double(state >> 11) / Double(1 << 53) * 8_000_000_000 - 1_000_000_000
            let date = Date(timeIntervalSince1970: seconds)
            XCTAssertEqual(Timestamp.iso8601(date), formatted(date), "\(seconds)")
        }
        for date in [Date(timeIntervalSince1970: -62_135_596_800 - 86_400), Date(timeIntervalSince1970: 253_402_300_800)] {
            XCTAssertEqual(Timestamp.iso8601(date), formatted(date), "years outside 0...9999")
        }
    }
}
