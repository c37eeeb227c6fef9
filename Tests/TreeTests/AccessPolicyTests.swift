import Foundation
@testable import PkgfsTree
import Synchronization
import XCTest

final class AccessPolicyTests: XCTestCase {
    func testNamesComeFromTheSystemDatabaseAndNumbersStandInForUnknownIDs() {
        XCTAssertEqual(AccessPolicy.userName(0), "root")
        XCTAssertEqual(AccessPolicy.groupName(0), "root")
        XCTAssertEqual(AccessPolicy.userName(3_999_999_999), "3999999999", "no such user")
        XCTAssertEqual(AccessPolicy.groupName(3_999_999_999), "3999999999", "no such group")
    }

    func testNamesAreRightWhenLookedUpOnManyThreadsAtOnce() throws {
        // Every user of /etc/passwd by uid, as the file has it.
        let passwd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        let users = passwd.split(separator: "\n").compactMap { line -> (UInt32, String)? in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count > 2, let uid = UInt32(fields[2]) else { return nil }
            return (uid, String(fields[0]))
        }
        XCTAssertGreaterThan(users.count, 2)
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4_000) { round in
            let (uid, name) = users[round % users.count]
            if AccessPolicy.userName(uid) != name { mismatches.withLock { $0 += 1 } }
        }
        XCTAssertEqual(mismatches.withLock { $0 }, 0)
    }
}
