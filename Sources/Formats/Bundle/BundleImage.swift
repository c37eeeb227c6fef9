/// One entry of `images[]`: a container image shipped inside the bundle as an archive.
/// Where the archive lies in the bundle is `BundleLayout.imageCandidates(_:)`.
public struct BundleImage: Sendable, Codable, Equatable {
    /// Path from the registry root to the image, without the registry, e.g.
    /// `/globalcicd/acc`; 1 to 1023 characters.
    public var imagePath: String
    /// 1 to 63 characters, e.g. `storage-provider`.
    public var imageName: String
    /// 1 to 31 characters, e.g. `1.3.116`.
    public var imageTag: String
    /// `sha256:` and 64 lowercase hex digits: the SHA-256 of the image archive's bytes.
    public var imageDigest: String
    /// Images needed to install or upgrade this one (they need not be in the bundle).
    public var dependsOnImages: [BundleImageReference]?

    public init(imagePath: String, imageName: String, imageTag: String, imageDigest: String,
                dependsOnImages: [BundleImageReference]? = nil) {
        self.imagePath = imagePath
        self.imageName = imageName
        self.imageTag = imageTag
        self.imageDigest = imageDigest
        self.dependsOnImages = dependsOnImages
    }

    /// `storage-provider:1.3.116`.
    public var reference: String { "\(imageName):\(imageTag)" }
}

/// One entry of `dependsOnImages[]`: an image named by path, name and tag.
public struct BundleImageReference: Sendable, Codable, Equatable {
    /// 1 to 1023 characters.
    public var imagePath: String
    /// 1 to 63 characters.
    public var imageName: String
    /// 1 to 31 characters.
    public var imageTag: String

    public init(imagePath: String, imageName: String, imageTag: String) {
        self.imagePath = imagePath
        self.imageName = imageName
        self.imageTag = imageTag
    }
}
