import PkgfsFormats

/// ArArchive.members on any bytes: a FormatError or members that all lie inside the input,
/// in order, without overlapping, each readable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAr(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let reader = MemoryBytes(bytes)
    guard let members = try? ArArchive.members(of: reader) else { return 0 }
    var end = ArArchive.magic.count
    for m in members {
        check(m.offset >= end && m.size >= 0 && m.offset <= bytes.count && m.size <= bytes.count - m.offset,
              "member \(m.name.debugDescription) at \(m.offset)+\(m.size) (previous end \(end), input \(bytes.count))")
        check((try? reader.read(at: m.offset, length: m.size))?.count == m.size, "member \(m.name) unreadable")
        end = m.offset + m.size
    }
    return 0
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant violated: \(message())") }
}
