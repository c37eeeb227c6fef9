import PkgfsFormats
import PkgfsModel

/// FileNameConvention.parse on any name a user can create in incoming/ (1...255 bytes, no '/',
/// no NUL), with the invariants the tree relies on: the stem plus the extension give back the
/// name, the stem is a prefix of the name, and the fields are pieces of the stem.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFileName(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0, size <= 255 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard !bytes.contains(0), !bytes.contains(UInt8(ascii: "/")) else { return 0 }
    let name = String(decoding: bytes, as: UTF8.self)
    let fields = FileNameConvention.parse(name)
    let split = FileNameConvention.splitExtension(name)
    check(name.hasPrefix(fields.stem) || name.unicodeScalars.starts(with: fields.stem.unicodeScalars),
          "stem '\(fields.stem)' is not a prefix of '\(name)'")
    let rebuilt = fields.fileExtension.isEmpty ? fields.stem : fields.stem + "." + fields.fileExtension
    check(rebuilt.lowercased() == name.lowercased(),
          "stem '\(fields.stem)' + ext '\(fields.fileExtension)' != '\(name)'")
    check(split.stem == fields.stem && split.ext == fields.fileExtension, "splitExtension disagrees with parse")
    if let version = fields.version {
        check(!version.isEmpty && fields.stem.contains(version), "version '\(version)' not in the stem")
    }
    for part in [fields.operatingSystem, fields.architecture, fields.buildNumber].compactMap({ $0 }) {
        check(fields.stem.contains(part), "field '\(part)' not in the stem '\(fields.stem)'")
    }
    // The directory names the tree makes from these must be valid path components.
    for part in [fields.name, fields.version ?? "", fields.stem] {
        let safe = PathComponent.safe(part)
        check(!safe.isEmpty && safe != "." && safe != ".." && !safe.contains("/") && safe.utf8.count <= 255,
              "PathComponent.safe('\(part)') = '\(safe)'")
    }
    return 0
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant violated: \(message())") }
}
