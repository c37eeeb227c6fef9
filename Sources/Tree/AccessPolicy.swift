import Foundation
import PkgfsFUSE

/// OCP's PACKAGE_MANAGER permission: the mount's owner, root, and members of the manager
/// group may change the repository; everyone may read.
public struct AccessPolicy: Sendable {
    public let ownerUID: UInt32
    public let ownerGID: UInt32
    /// The `--group` given at mount time, if any.
    public let managerGID: UInt32?

    public init(ownerUID: UInt32, ownerGID: UInt32, managerGID: UInt32?) {
        self.ownerUID = ownerUID
        self.ownerGID = ownerGID
        self.managerGID = managerGID
    }

    public func canManage(_ caller: Caller) -> Bool {
        if caller.uid == 0 || caller.uid == ownerUID { return true }
        guard let managerGID else { return false }
        if caller.gid == managerGID { return true }
        return Self.supplementaryGroups(of: caller.pid).contains(managerGID)
    }

    /// Throws EACCES, naming the action, when the caller may not manage packages.
    func requireManager(_ caller: Caller, _ action: @autoclosure () -> String) throws {
        guard canManage(caller) else {
            let group = managerGID.map { " or a member of group \(Self.groupName($0))" } ?? ""
            throw FSError.accessDenied("\(action()) refused for uid \(caller.uid): needs PACKAGE_MANAGER (the mount owner\(group))")
        }
    }

    /// The caller's supplementary groups as the kernel sees them now.
    static func supplementaryGroups(of pid: Int32) -> [UInt32] {
        guard pid > 0, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return [] }
        for line in status.split(separator: "\n") where line.hasPrefix("Groups:") {
            return line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
        }
        return []
    }

    // The reentrant lookups: getgrgid and getpwuid return a buffer shared by every thread, and
    // uploads and refusals name their callers on several threads at once.
    public static func groupName(_ gid: UInt32) -> String {
        lookUpName(of: gid) { var entry = group(); return (getgrgid_r(gid, &entry, $0, $1, $2), entry.gr_name) }
    }

    public static func userName(_ uid: UInt32) -> String {
        lookUpName(of: uid) { var entry = passwd(); return (getpwuid_r(uid, &entry, $0, $1, $2), entry.pw_name) }
    }

    /// Calls `lookup(buffer, size, &found)`, which returns its status and the name it filled
    /// in, with a bigger buffer while it says ERANGE; the number itself when there is no entry.
    private static func lookUpName<Entry>(
        of id: UInt32,
        _ lookup: (UnsafeMutablePointer<CChar>, Int, UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>)
            -> (Int32, UnsafeMutablePointer<CChar>?)
    ) -> String {
        var size = 1024
        while size <= 1 << 20 {
            let name = withUnsafeTemporaryAllocation(of: CChar.self, capacity: size) { buffer -> String?? in
                var found: UnsafeMutablePointer<Entry>?
                let (status, name) = lookup(buffer.baseAddress!, size, &found)
                if status == ERANGE { return .none }
                guard status == 0, found != nil, let name else { return .some(nil) }
                return .some(String(cString: name))
            }
            if let name { return name ?? String(id) }
            size *= 4
        }
        return String(id)
    }
}
