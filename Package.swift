// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "zerodt",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "zerodt-serve", targets: ["zerodt-serve"]),
        .library(name: "ZeroDT", targets: ["ZeroDT"]),
        .library(name: "ZeroDTHTTP", targets: ["ZeroDTHTTP"]),
        .library(name: "ZeroDTServe", targets: ["ZeroDTServe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CZeroDTSpawn", cSettings: [.define("_GNU_SOURCE")]),
        .target(
            name: "ZeroDT",
            dependencies: [
                "CZeroDTSpawn",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "ZeroDTHTTP",
            dependencies: [
                "ZeroDT",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        .target(
            name: "ZeroDTServe",
            dependencies: [
                "ZeroDT",
                "ZeroDTHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),
        .executableTarget(name: "zerodt-serve", dependencies: ["ZeroDTServe"]),
        .executableTarget(
            name: "zerodt-library-example",
            dependencies: [
                "ZeroDT",
                "ZeroDTHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "examples/library-app",
            exclude: ["README.md"]
        ),
        // examples/hello-module's sources, compiled once with this package, so that the
        // integration tests serve with them without building every dependency a second time
        // (that package's own manifest is checked by HelloModuleExampleTests).
        .target(
            name: "GreetingModule", dependencies: ["ZeroDTServe"], path: "examples/hello-module/Sources/GreetingModule"
        ),
        .executableTarget(
            name: "zerodt-hello-example",
            dependencies: ["GreetingModule", "ZeroDTServe"],
            path: "examples/hello-module/Sources/hello-server"
        ),
        // What more than one test target needs (a seeded generator, a certificate authority).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "ZeroDTTests",
            dependencies: ["ZeroDT", "TestSupport", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .testTarget(
            name: "ZeroDTHTTPTests",
            dependencies: [
                "ZeroDTHTTP",
                "TestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        .testTarget(
            name: "ZeroDTServeTests",
            dependencies: ["ZeroDTServe", "TestSupport", .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        // zerodt-serve plus misbehaving modules, run by the integration tests.
        .executableTarget(name: "zerodt-module-fixture", dependencies: ["ZeroDTServe"], path: "Tests/ModuleFixture"),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["zerodt-serve", "zerodt-module-fixture", "zerodt-library-example", "zerodt-hello-example",
                           "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
