/// One entry of `files[]`: a small non-image file carried inline, base64-encoded.
/// The mount shows each under its `fileName`, with the bytes of `decodedContents()`.
public struct BundleFile: Sendable, Codable, Equatable {
    /// 1 to 63 characters; a single path component (no `/`, not `.` or `..`) and unique
    /// within `files[]`, since the tree shows the file under this name.
    public var fileName: String
    /// Stable identifier across versions; 1 to 511 characters.
    public var fileIdentifier: String
    /// IANA media type (or `application/x-yaml`); 1 to 211 characters.
    public var fileMediaType: String
    /// The file's bytes in base64 (`BundleBase64`).
    public var fileContents: String

    public init(fileName: String, fileIdentifier: String, fileMediaType: String,
                fileContents: String) {
        self.fileName = fileName
        self.fileIdentifier = fileIdentifier
        self.fileMediaType = fileMediaType
        self.fileContents = fileContents
    }

    /// The file's bytes. Throws `FormatError.invalid` saying where `fileContents` stops
    /// being base64.
    public func decodedContents() throws -> [UInt8] {
        do {
            return try BundleBase64.decode(fileContents)
        } catch let reason {
            throw FormatError.invalid(format: "package.json",
                                      reason: "fileContents of '\(fileName)' is not base64: \(reason.description)")
        }
    }
}
