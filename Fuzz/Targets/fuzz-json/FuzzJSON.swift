import PkgfsModel

/// JSONValue.parse (meta.json's format details, a bundle manifest) on any text, and the pretty
/// printer meta.json is written with: whatever parses prints as JSON that parses back to the same
/// document, and printing is idempotent.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size <= 64 * 1024 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let value = JSONValue.parse(text) else { return 0 }
    let printed = String(decoding: value.prettyPrinted(), as: UTF8.self)
    guard let reparsed = JSONValue.parse(printed) else { fatalError("invariant violated: printed text does not parse: \(printed)") }
    let again = String(decoding: reparsed.prettyPrinted(), as: UTF8.self)
    if again != printed { fatalError("invariant violated: printing is not idempotent:\n\(printed)\n---\n\(again)") }
    return 0
}
