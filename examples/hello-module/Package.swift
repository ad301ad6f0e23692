// swift-tools-version:6.1
import Foundation
import PackageDescription

// A server of your own: zerodt-serve's command line plus a handler module written here.
// It depends on the ZeroDT checkout two directories up; a project outside this repository
// would write `.package(url: "…/zerodt", from: "…")` and `package: "zerodt"` instead.

/// SwiftPM names a path dependency after its directory, which is whatever the checkout of
/// this repository is called (`zerodt`, `main`, a CI folder…), so work the name out.
let zerodt = URL(fileURLWithPath: Context.packageDirectory + "/../..").standardizedFileURL.lastPathComponent

let package = Package(
    name: "hello-module",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "../.."),
    ],
    targets: [
        .target(
            name: "GreetingModule",
            dependencies: [.product(name: "ZeroDTServe", package: zerodt)]
        ),
        .executableTarget(
            name: "hello-server",
            dependencies: ["GreetingModule", .product(name: "ZeroDTServe", package: zerodt)]
        ),
    ],
    swiftLanguageModes: [.v6]
)
