import Foundation
import PkgfsFormats
import PkgfsModel

/// `available` written to a package's state (SPEC §4: "re-verifies the stored bytes first").
extension Repository {
    /// Checks the stored bytes as an upload's are checked: their SHA-256 against the catalog, then
    /// the whole analysis (format, digests inside the package, payload, a bundle's images). Bytes
    /// that pass make the package `available`, with the format data and payload listing the
    /// analysis made where the package has none (it failed at upload under an older pkgfs).
    /// Bytes that fail leave it in the failure state, with what is wrong as its details, and
    /// throw `.verificationFailed`: a truncated upload never becomes available by a word.
    func reverified(_ package: Package, by user: String) throws -> Package {
        let path = blobPath(of: package)
        var analysis: Analysis?
        var problems: [StateDetail]
        var failureState = PackageState.corrupt
        // Missing or unreadable stored bytes are what re-verification is for: a finding, not an error.
        switch Result(catching: { try sha256OfFile(path) }) {
        case .failure(let error):
            problems = [StateDetail(type: "digest", title: "Stored bytes cannot be read",
                                    detail: "re-verification of \(package.fileName): \(error)")]
        case .success(let actual) where actual != package.sha256:
            problems = [StateDetail(type: "digest", title: "Stored bytes do not match",
                                    detail: "re-verification of \(package.fileName) computed sha256 \(actual), the catalog records \(package.sha256)")]
        case .success:
            let fresh = analyzer.analyze(path: path, fileName: package.fileName, size: package.size)
            problems = fresh.problems
            failureState = fresh.failureState
            if problems.isEmpty, let moved = Self.identityChange(of: package, in: fresh) {
                problems.append(StateDetail(type: "identity", title: "The bytes now read as another package",
                                            detail: "\(package.fileName) is filed as \(moved.filed), its bytes now read as \(moved.read); delete it and upload it again"))
            }
            analysis = fresh
        }
        guard problems.isEmpty, let analysis else {
            let state = package.state == failureState || package.state.canTransition(to: failureState) ? failureState : .corrupt
            _ = try catalog.failedVerification(id: package.id, state: state, details: problems, by: user)
            let summary = problems.map(\.detail).joined(separator: "; ")
            let outcome = "\(package.state == state ? "stays" : "is now") \(state.rawValue)"
            logger.error("\(user) set \(package.fileName) id=\(package.id) available, but its bytes fail verification: it \(outcome): \(summary)")
            throw StoreError.verificationFailed("\(package.fileName) \(outcome): \(summary)")
        }
        let verified = try catalog.passedVerification(id: package.id, formatDetails: analysis.formatDetailsJSON,
                                                      payload: analysis.payload, container: analysis.payloadContainer, by: user)
        logger.info("\(user) set \(package.fileName) id=\(package.id) \(package.state.rawValue) → available (bytes verified again)")
        return verified
    }

    /// What the analysis reads the bytes as, where that is not where the package is filed.
    private static func identityChange(of package: Package, in analysis: Analysis) -> (filed: String, read: String)? {
        let filed = [package.format.rawValue, package.name, package.version, package.operatingSystem, package.architecture]
        let read = [analysis.format.rawValue, analysis.name, analysis.version, analysis.operatingSystem, analysis.architecture]
        return filed == read ? nil : (filed.joined(separator: " "), read.joined(separator: " "))
    }
}

extension Repository {
    /// Stored bytes found damaged without reading them (a blob gone, or not the size the package
    /// has, e.g. cut short on disk): an available package becomes `corrupt` with what was found,
    /// so that nobody installs it. Returns the package as it is now; nil when it is gone (a
    /// delete took its blob meanwhile: nothing was damaged).
    public func storedBytesDamaged(_ package: Package, _ finding: String) throws -> Package? {
        guard let now = try catalog.package(id: package.id), now.sha256 == package.sha256 else { return nil }
        logger.error("stored bytes of \(now.fileName) id=\(now.id) are damaged: \(finding)")
        guard now.state == .available else { return now }
        let detail = StateDetail(type: "digest", title: "Stored bytes damaged",
                                 detail: "\(finding); restore the blob and write available to state, or delete the package and upload it again")
        return try catalog.failedVerification(id: now.id, state: .corrupt, details: [detail], by: "pkgfs")
    }
}

/// What an open of a blob found wrong on disk (`Repository.openBlob`).
public struct BlobFinding: Error, CustomStringConvertible {
    public let description: String
    /// The errno of an open that failed.
    public let errno: Int32?

    public init(description: String, errno: Int32?) {
        self.description = description
        self.errno = errno
    }
}

extension Repository {
    /// The blob of `package` opened for reading, checked against the package's size (reads that
    /// pass through to it would show one cut short as a shorter file), or what is wrong with it.
    public func openBlob(of package: Package) -> Result<Int32, BlobFinding> {
        let path = blobPath(of: package)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = Glibc.errno
            return .failure(BlobFinding(description: e == ENOENT ? "the blob \(path) is missing"
                                                                  : "the blob \(path) cannot be opened: \(String(cString: strerror(e)))",
                                        errno: e))
        }
        var st = stat()
        if fstat(fd, &st) == 0 && Int64(st.st_size) != package.size {
            close(fd)
            return .failure(BlobFinding(description: "the blob \(path) holds \(st.st_size) bytes, the package \(package.size)", errno: nil))
        }
        return .success(fd)
    }
}
