/// Reads and verifies an Astra bundle: a tar (uncompressed or compressed with anything
/// libarchive's built-in filters read: gzip, bzip2, xz, lzma, lzip, zstd, lz4, compress)
/// whose root holds `package.json` (`./package.json` is the same member).
///
/// Verification, in order; every failure becomes a `BundleProblem`, nothing throws:
/// 1. the archive is listed with `listPayload` (path traversal, absolute paths, entry and
///    size limits are rejected there) → `archive` problem, and the manifest is still
///    read, best effort, to name the package;
/// 2. `package.json` is read (at most `BundleFieldLimits.maxManifestBytes`) and decoded
///    (`BundleManifest.decode`) → `manifest` problem;
/// 3. every field is checked against the seed's limits (`BundleFieldLimits`) → `limit`;
/// 4. images and artifacts are looked up (`BundleLayout`) → `missing`, and hashed by
///    streaming (`BundleDigest`) → `digest` on a mismatch, `archive` when unreadable.
public enum BundleVerifier {
    /// True when `path` is a tar (any supported compression) with a regular file
    /// `package.json` at its root. Reads headers only, up to that member. False for
    /// anything else, so the caller treats the file as a plain archive or file.
    public static func isBundle(path: String) -> Bool {
        BundleScan.findManifest(path: path, read: false).found
    }

    /// The bundle's `package.json`, decoded, read the way `isBundle` looks (headers only, up
    /// to that member): what names the package before `verify` has hashed anything. Nil
    /// when there is no such member, it is a hard link or too large, or it does not decode.
    /// Nothing is checked against the limits here; `verify` does that.
    public static func identify(path: String) -> BundleManifest? {
        identifyMember(path: path).manifest
    }

    /// `identify`, also telling whether the tar has a root `package.json` member at all
    /// (`found` false: not a bundle, as `isBundle` would say, without a second read).
    public static func identifyMember(path: String) -> (found: Bool, manifest: BundleManifest?) {
        let scan = BundleScan.findManifest(path: path, read: true)
        return (scan.found, scan.bytes.flatMap { try? BundleManifest.decode($0) })
    }

    public static func verify(path: String, limits: PayloadLimits = .default) -> BundleVerification {
        var result = BundleVerification()
        let entries: [PayloadEntry]
        do {
            entries = try listPayload(path: path, container: .tar, limits: limits)
        } catch {
            result.problems.append(BundleProblem(
                kind: .archive, title: "Bundle archive rejected",
                detail: "the bundle cannot be read safely: \(error)"))
            if let bytes = BundleScan.findManifest(path: path, read: true).bytes,
               let manifest = try? BundleManifest.decode(bytes) {
                result.manifest = manifest
                result.problems += BundleFieldLimits.check(manifest)
            }
            return result
        }
        result.entries = entries
        var byPath: [String: PayloadEntry] = [:]
        for entry in entries { byPath[entry.path] = entry }

        guard let manifestEntry = byPath[BundleLayout.manifestPath] else {
            result.problems.append(manifestProblem(
                "the bundle has no package.json at its root; put package.json (or ./package.json) at the top of the tar"))
            return result
        }
        guard manifestEntry.hasData else {
            result.problems.append(manifestProblem(
                "package.json at the bundle root is a \(manifestEntry.kind.rawValue), not a file"))
            return result
        }
        guard manifestEntry.size <= Int64(BundleFieldLimits.maxManifestBytes) else {
            result.problems.append(manifestProblem(
                "package.json has \(manifestEntry.size) bytes; pkgfs reads at most \(BundleFieldLimits.maxManifestBytes)"))
            return result
        }

        let reader: PayloadReader
        let bytes: [UInt8]
        do {
            reader = try PayloadReader(path: path, container: .tar, maxCursors: 2)
            bytes = try reader.readAll(manifestEntry)
        } catch {
            result.problems.append(BundleProblem(
                kind: .archive, field: nil, title: "package.json unreadable",
                detail: "package.json could not be read from the bundle: \(error)"))
            return result
        }
        defer { reader.closeCursors() }

        let manifest: BundleManifest
        do {
            manifest = try BundleManifest.decode(bytes)
        } catch {
            result.problems.append(manifestProblem("\(error); fix package.json and upload the bundle again"))
            return result
        }
        result.manifest = manifest
        result.problems += BundleFieldLimits.check(manifest)

        let members = BundleMemberCheck(manifest: manifest, entries: byPath, reader: reader).run()
        result.members = members.members
        result.problems += members.problems
        return result
    }

    private static func manifestProblem(_ detail: String) -> BundleProblem {
        BundleProblem(kind: .manifest, field: nil, title: "package.json unusable", detail: detail)
    }
}
