/// Where the members that `package.json` lists lie inside the bundle. All paths are
/// relative to the bundle root (where `package.json` is); the manifest's paths are
/// absolute in Astra's sense ("from the root", `/globalcicd/acc`), so a leading `/` is
/// dropped, as are `.` and empty components. A `..` component, in the manifest's path or
/// name, would point outside the bundle: such a member has no candidates and the
/// verifier reports the field.
///
/// **Images.** An image is a `docker save` style archive:
/// - primary: `<imagePath>/<imageName>.tar`, e.g. `globalcicd/acc/storage-provider.tar`;
/// - also accepted: `<imagePath>/<imageName>_<imageTag>.tar`, e.g.
///   `globalcicd/acc/storage-provider_1.3.116.tar`. Being more specific (two tags of one
///   image can ship side by side), it is looked up first and wins when both exist.
///
/// **Artifacts.** `artifactPath` is a directory ("`/vmware/1.0/`" in the seed):
/// - primary: `<artifactPath>/<artifactName>`, e.g. `vmware/1.0/ovftool.bin`;
/// - also accepted: `artifactPath` naming the file itself (`/vmware/1.0/ovftool.bin`),
///   when the primary path is absent.
///
/// Only regular files (or hard links to them) count as present.
public enum BundleLayout {
    /// The root member that makes a tar a bundle (`./package.json` lists the same).
    public static let manifestPath = "package.json"

    /// Bundle paths for `image`, in lookup order; empty when any would leave the bundle.
    public static func imageCandidates(_ image: BundleImage) -> [String] {
        guard let tagged = join(image.imagePath, "\(image.imageName)_\(image.imageTag).tar"),
              let plain = join(image.imagePath, "\(image.imageName).tar") else { return [] }
        return [tagged, plain]
    }

    /// The primary image path, named when the image is missing.
    public static func primaryImagePath(_ image: BundleImage) -> String? {
        imageCandidates(image).last
    }

    /// Bundle paths for `artifact`, in lookup order (primary first); empty when the
    /// primary would leave the bundle.
    public static func artifactCandidates(_ artifact: BundleArtifact) -> [String] {
        guard let primary = join(artifact.artifactPath, artifact.artifactName) else { return [] }
        var out = [primary]
        if !artifact.artifactPath.hasSuffix("/"), let itself = join(artifact.artifactPath, ""),
           !itself.isEmpty, itself != primary {
            out.append(itself)
        }
        return out
    }

    /// `directory/name` normalized as listPayload normalizes member paths; nil when a
    /// `..` component (or a NUL) appears.
    static func join(_ directory: String, _ name: String) -> String? {
        var parts: [Substring] = []
        for part in (directory + "/" + name).split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." || part.contains("\0") { return nil }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }
}
