import PkgfsFormats
import XCTest

final class FileNameConventionTests: XCTestCase {
    func testOCPExample() {
        let f = FileNameConvention.parse("t-oceanbase-ocp-agent-3.1.2-20210812221645.alios7.x86_64.rpm")
        XCTAssertEqual(f.name, "t-oceanbase-ocp-agent")
        XCTAssertEqual(f.version, "3.1.2")
        XCTAssertEqual(f.buildNumber, "20210812221645")
        XCTAssertEqual(f.operatingSystem, "alios7")
        XCTAssertEqual(f.architecture, "x86_64")
        XCTAssertEqual(f.fileExtension, "rpm")
        XCTAssertEqual(f.stem, "t-oceanbase-ocp-agent-3.1.2-20210812221645.alios7.x86_64")
    }

    func testOtherShapes() {
        let tgz = FileNameConvention.parse("oceanbase-ce-4.2.1-100000.el7.aarch64.tar.gz")
        XCTAssertEqual([tgz.name, tgz.version, tgz.buildNumber, tgz.operatingSystem, tgz.architecture, tgz.fileExtension],
                       ["oceanbase-ce", "4.2.1", "100000", "el7", "aarch64", "tar.gz"])
        let deb = FileNameConvention.parse("hello_2.10-3_amd64.deb")
        XCTAssertEqual([deb.name, deb.version, deb.architecture], ["hello", "2.10-3", "amd64"])
        XCTAssertNil(deb.operatingSystem)
        let plain = FileNameConvention.parse("tool-1.2.3.tar.xz")
        XCTAssertEqual([plain.name, plain.version], ["tool", "1.2.3"])
        XCTAssertNil(plain.buildNumber)
        XCTAssertNil(plain.architecture)
        let noarch = FileNameConvention.parse("python3-six-1.16.0-1.el9.noarch.rpm")
        XCTAssertEqual([noarch.name, noarch.version, noarch.buildNumber, noarch.operatingSystem, noarch.architecture],
                       ["python3-six", "1.16.0", "1", "el9", "noarch"])
    }

    func testNamesThatTellLittle() {
        let bare = FileNameConvention.parse("README")
        XCTAssertEqual(bare.name, "README")
        XCTAssertNil(bare.version)
        XCTAssertEqual(bare.fileExtension, "")
        let dotted = FileNameConvention.parse(".hidden")
        XCTAssertEqual(dotted.stem, ".hidden")
        let weird = FileNameConvention.parse("a\nb-1.0.x86_64.rpm")
        XCTAssertEqual(weird.architecture, "x86_64")
        for name in ["", ".", "..", "-", "--1", "...rpm", "x.tar.gz", ".tar.gz", "\u{FFFD}-1-2.os.noarch.deb"] {
            _ = FileNameConvention.parse(name) // never crashes
        }
    }
}
