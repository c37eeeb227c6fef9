// swift-tools-version:6.1
import PackageDescription

// Layers, each a target; dependencies point down only:
// Model -> Formats -> Store -> FUSE -> Tree -> CLI
let package = Package(
    name: "pkgfs",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pkgfs", targets: ["pkgfs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
    ],
    targets: [
        // System libraries (Debian: libfuse3-dev, libarchive-dev).
        .systemLibrary(name: "CFuse", path: "Sources/CFuse", pkgConfig: "fuse3",
                       providers: [.apt(["libfuse3-dev"])]),
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),

        // 1. Model: pure Swift, no I/O.
        .target(name: "PkgfsModel", path: "Sources/Model"),
        // 2. Formats: bytes in, value or precise error out.
        .target(name: "PkgfsFormats",
                dependencies: ["PkgfsModel", "CArchive",
                               .product(name: "Crypto", package: "swift-crypto")],
                path: "Sources/Formats"),
        // 3. Store: catalog (GRDB) + content-addressed blobs + ingest.
        .target(name: "PkgfsStore",
                dependencies: ["PkgfsModel", "PkgfsFormats",
                               .product(name: "GRDB", package: "GRDB.swift"),
                               .product(name: "GRDBSQLite", package: "GRDB.swift"),
                               .product(name: "Crypto", package: "swift-crypto"),
                               .product(name: "Logging", package: "swift-log")],
                path: "Sources/Store"),
        // 4. FUSE: thin binding to libfuse3's low-level API.
        .target(name: "PkgfsFUSE",
                dependencies: ["CFuse", .product(name: "Logging", package: "swift-log")],
                path: "Sources/FUSE"),
        // 5. Tree: the catalog as directories and virtual files.
        .target(name: "PkgfsTree",
                dependencies: ["PkgfsModel", "PkgfsFormats", "PkgfsStore", "PkgfsFUSE",
                               .product(name: "Logging", package: "swift-log")],
                path: "Sources/Tree"),
        // 6. HTTP: OCP and Astra APIs over the same Repository.
        .target(name: "PkgfsHTTP",
                dependencies: ["PkgfsModel", "PkgfsStore",
                               .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOPosix", package: "swift-nio"),
                               .product(name: "Logging", package: "swift-log")],
                path: "Sources/HTTP"),
        // 7. CLI.
        .executableTarget(name: "pkgfs",
                          dependencies: ["PkgfsTree", "PkgfsStore", "PkgfsFUSE", "PkgfsModel", "PkgfsHTTP",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          path: "Sources/CLI"),

        .testTarget(name: "ModelTests", dependencies: ["PkgfsModel"], path: "Tests/ModelTests"),
        .testTarget(name: "FormatsTests", dependencies: ["PkgfsFormats", "PkgfsModel"], path: "Tests/FormatsTests"),
        .testTarget(name: "StoreTests", dependencies: ["PkgfsStore", "PkgfsModel", "PkgfsFormats", "TestSupport",
                                                     .product(name: "Crypto", package: "swift-crypto")],
                    path: "Tests/StoreTests"),
        .testTarget(name: "FUSETests", dependencies: ["PkgfsFUSE", .product(name: "Logging", package: "swift-log")],
                    path: "Tests/FUSETests"),
        .testTarget(name: "TreeTests", dependencies: ["PkgfsTree", "PkgfsStore", "PkgfsFUSE", "PkgfsModel", "TestSupport"],
                    path: "Tests/TreeTests"),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "MountTests", dependencies: ["pkgfs", "TestSupport"], path: "Tests/MountTests"),
        .testTarget(name: "HTTPTests", dependencies: ["pkgfs", "PkgfsHTTP", "PkgfsStore", "PkgfsModel", "TestSupport"],
                    path: "Tests/HTTPTests"),
    ]
)
