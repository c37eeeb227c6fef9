import Foundation

/// Runs `first` and `second` at the same time (the caller's thread and one other) and returns
/// both results once both have ended (the first error if either threw). For two CPU-bound
/// passes that share nothing but what they only read. With `parallel` false they run one after
/// the other on the caller's thread: for short work, where waking another thread costs more.
func bothAtOnce<A, B>(parallel: Bool = true, _ first: () throws -> A, _ second: () throws -> B) throws -> (A, B) {
    guard parallel else { return (try first(), try second()) }
    return try withoutActuallyEscaping(first) { first in
        try withoutActuallyEscaping(second) { second in
            let pair = Pair(first, second)
            DispatchQueue.concurrentPerform(iterations: 2) { i in pair.run(i) }
            return (try pair.a!.get(), try pair.b!.get())
        }
    }
}

/// The two closures and their results. @unchecked: iteration 0 touches only `first` and `a`,
/// iteration 1 only `second` and `b`, and both are read after concurrentPerform has returned.
private final class Pair<A, B>: @unchecked Sendable {
    let first: () throws -> A
    let second: () throws -> B
    var a: Result<A, any Error>?
    var b: Result<B, any Error>?

    init(_ first: @escaping () throws -> A, _ second: @escaping () throws -> B) {
        self.first = first
        self.second = second
    }

    func run(_ i: Int) {
        if i == 0 { a = Result { try first() } } else { b = Result { try second() } }
    }
}
