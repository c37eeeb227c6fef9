import Foundation
import XCTest

/// A test case with a fresh path in `root` (not created) for each test, removed after it.
open class TemporaryRootTestCase: XCTestCase {
    public var root: String!

    override open func setUpWithError() throws {
        try super.setUpWithError()
        root = NSTemporaryDirectory() + "pkgfs-\(type(of: self))-" + UUID().uuidString.prefix(8)
    }

    override open func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
        try super.tearDownWithError()
    }
}
