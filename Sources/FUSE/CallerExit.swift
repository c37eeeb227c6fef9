import Foundation

extension Caller {
    /// The signal that is ending the calling thread, when a request comes from its exit: a
    /// `cp` killed (or stopped by Ctrl-C) mid-copy has its files closed by the kernel, and
    /// that close looks like any other. The kernel records the exit status before it closes
    /// the files (`do_exit`), and `/proc/<tid>/stat` shows it (field 52, as `waitpid` would:
    /// the low seven bits are the signal). nil for a thread not ending by a signal.
    public var terminatingSignal: Int32? {
        guard pid > 0 else { return nil }
        // Every upload's close asks: a plain read, not Foundation's file loading.
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 2048)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return Self.terminatingSignal(inStat: String(decoding: buffer[0..<n], as: UTF8.self))
    }

    /// Reads the exit status from a `/proc/<tid>/stat` line; the command name (field 2) is in
    /// parentheses and may hold spaces and parentheses itself, so fields are counted from its end.
    static func terminatingSignal(inStat stat: String) -> Int32? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); the flags are field 9, the exit status field 52.
        guard fields.count >= 50, let flags = UInt64(fields[6]), let status = Int32(fields[49].trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return nil
        }
        let exiting: UInt64 = 0x4  // PF_EXITING
        let signal = status & 0x7f
        return flags & exiting != 0 && signal != 0 ? signal : nil
    }
}
