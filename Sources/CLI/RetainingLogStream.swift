import Foundation
import Synchronization

/// The daemon's log stream (its stderr: the store's pkgfs.log). A line that cannot be written,
/// because the disk under the store is full, is kept (up to `limit`) and written before the
/// next line that can be, and goes to syslog at once: the refusals of a full disk are the lines
/// that matter most then. A line cut by the full disk is finished before the next begins.
struct RetainingLogStream: TextOutputStream, Sendable {
    static let limit = 10_000
    private static let held = Mutex(Held())

    private struct Held {
        var lines: [[UInt8]] = []
        var lost = 0
        var syslogOpen = false
    }

    mutating func write(_ string: String) {
        Self.held.withLock { held in
            while let first = held.lines.first {
                guard let rest = Self.writeSome(first) else { held.lines.removeFirst(); continue }
                held.lines[0] = rest  // the part of a line already written is not written again
                break
            }
            if held.lines.isEmpty && held.lost > 0 && Self.writeSome(Array(Self.lostLine(held.lost).utf8)) == nil { held.lost = 0 }
            var rest = Array(string.utf8)
            if held.lines.isEmpty {
                guard let unwritten = Self.writeSome(rest) else { return }
                rest = unwritten
            }
            if held.lines.count < Self.limit { held.lines.append(rest) } else { held.lost += 1 }
            Self.toSyslog(string, opened: &held.syslogOpen)
        }
    }

    private static func lostLine(_ count: Int) -> String {
        "pkgfs: \(count) log line(s) were lost while the log could not be written (see syslog)\n"
    }

    /// Writes `line`; nil once all of it is written, else the part that is not.
    private static func writeSome(_ bytes: [UInt8]) -> [UInt8]? {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return Array(bytes[done...]) }
            done += n
        }
        return nil
    }

    private static func toSyslog(_ line: String, opened: inout Bool) {
        if !opened {
            openlog("pkgfs", LOG_PID, LOG_DAEMON)
            opened = true
        }
        line.trimmingCharacters(in: .newlines).withCString { text in
            withVaList([text]) { vsyslog(LOG_WARNING, "%s", $0) }
        }
    }
}
