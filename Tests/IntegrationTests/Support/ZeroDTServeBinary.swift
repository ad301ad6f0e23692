import Foundation

/// The `zerodt-serve` that `swift build` put next to the test bundle, and the package
/// checkout, so that integration tests run the real binary on the real files.
enum ZeroDTServeBinary {
    /// The path of `executable`, one of this package's executables (`zerodt-serve` unless
    /// told otherwise), built next to the test bundle; for `zerodt-serve`,
    /// `$ZERODT_SERVE_BINARY` when set (to run the tests against another build, a release
    /// binary say).
    /// - Throws: when it is not beside the running test binary.
    static func path(of executable: String = "zerodt-serve") throws -> String {
        if executable == "zerodt-serve", let override = ProcessInfo.processInfo.environment["ZERODT_SERVE_BINARY"],
           !override.isEmpty {
            return override
        }
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let candidate = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
            .appendingPathComponent(executable).path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw ProcessTestError(description: "no \(executable) next to the test binary at \(candidate); "
                                   + "run `swift build` first")
        }
        return candidate
    }

    /// Runs `zerodt-serve` with `arguments` to completion.
    static func run(_ arguments: [String], currentDirectory: String? = nil,
                    timeout: Duration = .seconds(30)) throws -> ProcessOutput {
        try RunningProcess.run(path(), arguments: arguments, currentDirectory: currentDirectory, timeout: timeout)
    }

    /// Starts `zerodt-serve` with `arguments` and returns while it runs.
    static func start(_ arguments: [String], environment: [String: String] = [:],
                      currentDirectory: String? = nil, standardInput: FileHandle = .nullDevice) throws -> RunningProcess {
        try RunningProcess(executable: path(), arguments: arguments, environment: environment,
                           currentDirectory: currentDirectory, standardInput: standardInput)
    }

    /// The directory holding `Package.swift`, found from this file's location.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.path
            }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()
}
