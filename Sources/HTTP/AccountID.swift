import Foundation
import PkgfsStore

/// The store's own Astra account: a UUID generated once and kept in `<store>/account-id`.
public enum AccountID {
    public static func path(_ layout: StoreLayout) -> String { layout.root + "/account-id" }

    public static func loadOrCreate(_ layout: StoreLayout) throws -> String {
        let path = path(layout)
        if let data = FileManager.default.contents(atPath: path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let id = normalized(text) else {
                throw HTTPSetupError("\(path) does not hold a UUID; remove it to have a new account id generated")
            }
            return id
        }
        let id = UUID().uuidString.lowercased()
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data((id + "\n").utf8)),
              rename(temporary, path) == 0 else {
            unlink(temporary)
            throw HTTPSetupError("cannot write \(path)")
        }
        return id
    }

    /// The lower-case form of a UUID string, or nil when `text` is not one.
    public static func normalized(_ text: String) -> String? {
        guard text.count == 36, let uuid = UUID(uuidString: text) else { return nil }
        return uuid.uuidString.lowercased()
    }
}
