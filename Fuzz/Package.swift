// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for the pkgfs parsers, kept out of the main package so its build is
// untouched. Sources/PkgfsModel, Sources/PkgfsFormats and Sources/CArchive are symlinks to the
// main package's sources, compiled here again with coverage instrumentation.
//
//   swift build -c release -Xswiftc -sanitize=fuzzer
//   .build/release/fuzz-rpm corpus/fuzz-rpm
//
// Each target's main.swift hands its check to libFuzzer's LLVMFuzzerRunDriver (SwiftPM renames
// an executable target's `main` on Linux, so libFuzzer's own main cannot be the entry point).
//
// scripts/fuzz does both.
let fuzzTargets = ["fuzz-filename", "fuzz-rpm", "fuzz-deb", "fuzz-ar", "fuzz-bundle-manifest", "fuzz-bundle", "fuzz-payload", "fuzz-json"]

let package = Package(
    name: "pkgfs-fuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),
        .target(name: "PkgfsModel", path: "Sources/PkgfsModel"),
        .target(name: "FuzzDriver", path: "Sources/FuzzDriver"),
        .target(name: "PkgfsFormats",
                dependencies: ["PkgfsModel", "CArchive", .product(name: "Crypto", package: "swift-crypto")],
                path: "Sources/PkgfsFormats"),
    ] + fuzzTargets.map { name in
        .executableTarget(name: name, dependencies: ["PkgfsFormats", "PkgfsModel", "FuzzDriver"], path: "Targets/\(name)")
    }
)
