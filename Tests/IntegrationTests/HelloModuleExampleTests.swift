import Foundation
import Testing

/// `examples/hello-module`, a separate package that depends on this one by path: its
/// server (with a custom module) serves and restarts into a new generation, and its
/// manifest resolves against this checkout.
///
/// Its sources are compiled as targets of this package (`zerodt-hello-example`), so the
/// test needs no second build of every dependency (that took about 4 of the suite's 5
/// minutes). What only the nested build would catch, a manifest that no longer matches
/// this package (a renamed product, a moved source folder), is caught by loading its
/// package graph, which takes seconds.
@Suite(.serialized) struct HelloModuleExampleTests {
    /// Kept between runs (ignored by git), so that only the first run clones the dependencies.
    static let scratch = ZeroDTServeBinary.packageRoot + "/.build-hello-module"

    static func swiftExecutable() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/swift") {
            return "\(directory)/swift"
        }
        throw ProcessTestError(description: "no swift on PATH (\(path))")
    }

    @Test(.timeLimit(.minutes(5))) func manifestResolvesAgainstThisCheckout() throws {
        // Loading the graph checks every product and target the manifest names, and where
        // their sources are, without compiling anything. SwiftPM's compiler driver leaves a
        // `TemporaryDirectory.*` behind in TMPDIR at each run: one of the test's own, removed
        // with it.
        let temporary = try TestSite()
        let output = try RunningProcess.run(try Self.swiftExecutable(), arguments: [
            "package", "--package-path", ZeroDTServeBinary.packageRoot + "/examples/hello-module",
            "--scratch-path", Self.scratch, "show-dependencies",
        ], environment: ["TMPDIR": temporary.directory], timeout: .seconds(240))
        #expect(output.status == 0 && !output.signalled, "\(output)")
        #expect(output.standardOutput.contains("swift-nio"), "\(output)")
    }

    @Test(.timeLimit(.minutes(2))) func servesAndRestarts() throws {
        let server = try ZeroDTServeBinary.path(of: "zerodt-hello-example")
        let directory = try TestSite()
        let port = try LoopbackPort.free()
        let bad = try directory.write("bad.yaml", """
            servers:
              - name: hello
                listen: [127.0.0.1:\(port)]
                routes:
                  - { path: /hello, handler: greeting, options: { shout: maybe, greting: Hi } }
            """)
        let check = try RunningProcess.run(server, arguments: ["check", "--config", bad])
        #expect(check.status == 1)
        #expect(check.standardError.contains("\(bad):5:62: error: 'shout' must be true or false, found 'maybe'"),
                "\(check)")
        #expect(check.standardError.contains("\(bad):5:69: error: unknown option 'greting' for module 'greeting'"),
                "\(check)")

        let config = try directory.write("hello.yaml", """
            servers:
              - name: hello
                listen: [127.0.0.1:\(port)]
                timeouts: { drain_grace: 100ms }
                routes:
                  - { path: /hello, handler: greeting, options: { greeting: Hello } }
                  - { path: /healthz, handler: health }
            """)
        let process = try RunningProcess(executable: server, arguments: ["--config", config])
        try process.waitForStandardError(containing: "] ready")
        #expect(try HTTPTestClient(port: port).request("GET", "/hello?name=CI").text
                == "Hello, CI! (greeting #1 from generation 1)\n")
        #expect(try HTTPTestClient(port: port).request("GET", "/hello").text
                == "Hello, world! (greeting #2 from generation 1)\n")
        #expect(try HTTPTestClient(port: port).request("GET", "/healthz").status == 200)

        // Zero-downtime upgrade: SIGHUP starts the binary on disk as generation 2.
        process.send(SIGHUP)
        let log = try process.waitForStandardError(containing: "; handing over", timeout: .seconds(30))
        let successor = try #require(Self.successorPID(in: log))
        // Generation 2 accepts once generation 1 has stopped; wait for the hand-over to end so
        // that the answer below must come from generation 2.
        try process.waitForStandardError(containing: "handed over to pid \(successor)", timeout: .seconds(30))
        #expect(try HTTPTestClient(port: port).request("GET", "/hello?name=again").text
                == "Hello, again! (greeting #1 from generation 2)\n")
        kill(successor, SIGTERM)
        let output = try process.waitForExit(timeout: .seconds(15))
        #expect(output.status == 0, "\(output)")
    }

    /// The pid in "generation 2 (pid 1234) is ready".
    static func successorPID(in log: String) -> Int32? {
        guard let range = log.range(of: #"generation 2 \(pid (\d+)\) is ready"#, options: .regularExpression) else {
            return nil
        }
        return Int32(log[range].split(separator: " ")[3].dropLast())
    }
}
