import Crypto
import Foundation
import PkgfsFormats
import PkgfsModel

/// Changes to registered packages: state transitions, labels, deletion.
extension Repository {
    /// Applies an Astra transition. Moving to `available` verifies the stored bytes again first
    /// (`reverified`).
    public func transition(id: Int64, to target: PackageState, by user: String) throws -> Package {
        guard let package = try catalog.package(id: id) else { throw StoreError.notFound("no package with id \(id)") }
        // `verifying` ends when pkgfs's own verification of the upload does (Ingest.swift);
        // a transition written meanwhile would be overwritten by its result.
        guard package.state != .verifying else {
            throw StoreError.invalid("\(package.fileName) is being verified; its state becomes available, incomplete or corrupt when that ends, then it can be changed")
        }
        guard package.state.canTransition(to: target) else {
            throw StoreError.invalid("\(package.fileName): transition \(package.state.rawValue) → \(target.rawValue) is not allowed; from \(package.state.rawValue) only \(package.state.allowedTargets.map(\.rawValue).joined(separator: ", "))")
        }
        if target == .available { return try reverified(package, by: user) }
        let detail = StateDetail(type: "manual", title: "Marked \(target.rawValue)",
                                 detail: "\(user) set the state to \(target.rawValue)")
        let changed = try catalog.transition(id: id, to: target, details: package.stateDetails + [detail], by: user)
        logger.info("\(user) set \(package.fileName) id=\(id) \(package.state.rawValue) → \(target.rawValue)")
        return changed
    }

    /// Deletes a package and frees its bytes when no other package shares them.
    public func delete(id: Int64) throws -> Package {
        let package: Package
        do {
            package = try deleteOnce(id: id)
        } catch StoreError.noSpace(let why) {
            guard spaceReserve.release() else { throw StoreError.noSpace(why) }
            logger.warning("disk full (\(why)): gave back the \(SpaceReserve.size >> 20) MiB kept for deletes to delete package \(id)")
            package = try deleteOnce(id: id)
        }
        if !spaceReserve.isHeld && spaceReserve.take() {
            logger.notice("took back the \(SpaceReserve.size >> 20) MiB kept for deletes on a full disk")
        }
        return package
    }

    private func deleteOnce(id: Int64) throws -> Package {
        var freed: String?
        var note: PendingNote?
        defer { note?.clear() }
        let package = try catalog.exclusive({ db -> Package in
            guard let record = try PackageRecord.fetchOne(db, key: id) else {
                throw StoreError.notFound("no package with id \(id)")
            }
            try record.delete(db)
            if try !catalog.isReferenced(sha256: record.sha256, db) {
                freed = record.sha256
                note = blobs.notePending(sha256: record.sha256)
            }
            return record.package
        }, after: { _ in
            if let digest = freed { self.blobs.remove(sha256: digest) }
        })
        payloadCache.remove(packageIDs: [package.id])
        logger.info("deleted \(package.fileName) id=\(package.id)")
        return package
    }

    func sha256OfFile(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("cannot open \(path)", errno: errno) }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io("cannot read \(path)", errno: errno)
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return Hex.string(hasher.finalize())
    }
}
