import Foundation

/// Many short names in one buffer, for the listings of by-id/, by-sha1/ and by-sha256/.
///
/// A name of over 15 bytes (a uuid, a hex digest) is a heap String of its own, about 80 bytes
/// with malloc's rounding; a million of them cost more than the daemon's whole memory target.
/// Here a name costs its UTF-8 bytes plus one end offset, and is made a String only when read.
public struct PackedNames: Sendable, RandomAccessCollection {
    private var bytes: [UInt8] = []
    /// `ends[i]` is where name i stops in `bytes`; name i starts where name i-1 stops.
    private var ends: [Int] = []

    public init() {}

    public init(_ names: some Sequence<String>) {
        for name in names { append(name) }
    }

    public mutating func append(_ name: String) {
        var name = name
        name.withUTF8 { append(utf8: UnsafeRawBufferPointer($0)) }
    }

    public mutating func append(utf8: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: utf8)
        ends.append(bytes.count)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { ends.count }

    public subscript(index: Int) -> String {
        let start = index == 0 ? 0 : ends[index - 1]
        return bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[start..<ends[index]]), as: UTF8.self)
        }
    }
}
