import Foundation

/// Many short names in a few buffers, for the listings of by-id/, by-sha1/ and by-sha256/.
///
/// A name of over 15 bytes (a uuid, a hex digest) is a heap String of its own, about 80 bytes
/// with malloc's rounding; a million of them cost more than the daemon's whole memory target.
/// Here a name costs its UTF-8 bytes plus one end offset, and is made a String only when read.
public struct PackedNames: Sendable, RandomAccessCollection {
    private struct Segment: Sendable {
        var bytes: [UInt8] = []
        /// `ends[i]` is where name i stops in `bytes`; name i starts where name i-1 stops.
        var ends: [Int] = []
    }

    /// Lists joined by `init(joining:)` keep their own buffers: copying a million names into
    /// one would hold them twice at once.
    private var segments: [Segment] = [Segment()]
    /// `firstIndex[s]` is the index of segment s's first name.
    private var firstIndex: [Int] = [0]

    public init() {}

    public init(_ names: some Sequence<String>) {
        for name in names { append(name) }
    }

    /// The names of `parts`, in order.
    public init(joining parts: [PackedNames]) {
        let filled = parts.flatMap(\.segments).filter { !$0.ends.isEmpty }
        guard !filled.isEmpty else { return }
        segments = filled
        firstIndex = Array(filled.reduce(into: [0]) { $0.append($0.last! + $1.ends.count) }.dropLast())
    }

    public mutating func append(_ name: String) {
        var name = name
        name.withUTF8 { append(utf8: UnsafeRawBufferPointer($0)) }
    }

    public mutating func append(utf8: UnsafeRawBufferPointer) {
        let last = segments.count - 1
        segments[last].bytes.append(contentsOf: utf8)
        segments[last].ends.append(segments[last].bytes.count)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { firstIndex[firstIndex.count - 1] + segments[segments.count - 1].ends.count }

    public subscript(index: Int) -> String {
        withUTF8(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the UTF-8 bytes of name `index`.
    public func withUTF8<R>(at index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let segment = segments.count == 1 ? 0 : segmentHolding(index)
        let ends = segments[segment].ends
        let local = index - firstIndex[segment]
        let start = local == 0 ? 0 : ends[local - 1]
        return segments[segment].bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<ends[local]])) }
    }

    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        return hasher.finalize()
    }

    public func hash(at index: Int) -> Int {
        withUTF8(at: index) { Self.hash($0) }
    }

    public func equal(at index: Int, to bytes: UnsafeRawBufferPointer) -> Bool {
        withUTF8(at: index) { $0.elementsEqual(bytes) }
    }

    public func equal(at first: Int, at second: Int) -> Bool {
        withUTF8(at: second) { equal(at: first, to: $0) }
    }

    /// The last segment whose first name is at or before `index`.
    private func segmentHolding(_ index: Int) -> Int {
        var low = 0, high = firstIndex.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if firstIndex[middle] <= index { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
