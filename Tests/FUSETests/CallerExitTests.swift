@testable import PkgfsFUSE
import XCTest

final class CallerExitTests: XCTestCase {
    /// A `/proc/<tid>/stat` line with `fields` after the command name (fields 3…52).
    func stat(comm: String, flags: UInt64, exitStatus: Int32) -> String {
        var fields = Array(repeating: "0", count: 50)
        fields[0] = "R"
        fields[6] = String(flags)
        fields[49] = String(exitStatus)
        return "4242 (\(comm)) " + fields.joined(separator: " ") + "\n"
    }

    func testTheSignalEndingAThreadIsReadFromItsStat() {
        XCTAssertEqual(Caller.terminatingSignal(inStat: stat(comm: "cp", flags: 0x40_0004, exitStatus: 9)), 9)
        XCTAssertEqual(Caller.terminatingSignal(inStat: stat(comm: "a) (b c", flags: 0x4, exitStatus: 2 | 0x80)), 2,
                       "a command name with parentheses and spaces; a core dump flag")
        XCTAssertNil(Caller.terminatingSignal(inStat: stat(comm: "cp", flags: 0x4, exitStatus: 1 << 8)), "exit(1) is no signal")
        XCTAssertNil(Caller.terminatingSignal(inStat: stat(comm: "cp", flags: 0x40_0000, exitStatus: 9)), "not exiting")
        XCTAssertNil(Caller.terminatingSignal(inStat: "4242 (cp) R 1 2"), "too short")
        XCTAssertNil(Caller(uid: 0, gid: 0, pid: 0).terminatingSignal)
        XCTAssertNil(Caller(uid: 0, gid: 0, pid: getpid()).terminatingSignal, "this thread lives")
    }
}
