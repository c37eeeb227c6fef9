import Foundation

/// Progress of long work on stderr: on a terminal one line, rewritten in place twice a second;
/// elsewhere (a log, CI) a whole line every few seconds, and the last.
final class ProgressLine {
    private let terminal = isatty(STDERR_FILENO) != 0
    private var last = Date.distantPast
    private var shown = false

    func report(_ text: @autoclosure () -> String, finished: Bool) {
        let now = Date()
        guard finished || now.timeIntervalSince(last) >= (terminal ? 0.5 : 5) else { return }
        last = now
        shown = true
        FileHandle.standardError.write(Data((terminal ? "\r" + text() : text() + "\n").utf8))
    }

    /// Ends the line rewritten in place.
    func end() {
        if terminal && shown { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
