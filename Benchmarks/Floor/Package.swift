// swift-tools-version:6.1
// The floor: minimal servers on the libraries ZeroDT serves with, to measure what they reach
// on a machine (Benchmarks/floor.sh). Its own package, so that the main one (and CI) never
// builds it; the dependencies are the main package's, at the same versions.
// Linux only (TCP_CORK, `st_mtim`), as the benchmarks are.
import PackageDescription

let package = Package(
    name: "nio-floor",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
    ],
    targets: [
        .executableTarget(
            name: "nio-floor",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
