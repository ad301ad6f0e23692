import Foundation
import Testing

/// `examples/hello-module`, a separate package that depends on this one by path, builds
/// its own server with a custom module, serves with it and restarts into a new generation.
///
/// The nested build resolves and compiles the dependencies again into `.build-hello-module`
/// at the package root (kept between runs, so only the first run pays in full: about 1 to 3
/// minutes on 2 cores, measured 55 s idle and 125-180 s beside other builds).
@Suite(.serialized) struct HelloModuleExampleTests {
    static let scratch = ZeroDTServeBinary.packageRoot + "/.build-hello-module"

    static func swiftExecutable() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/swift") {
            return "\(directory)/swift"
        }
        throw ProcessTestError(description: "no swift on PATH (\(path))")
    }

    static func buildExample() throws -> String {
        let clock = ContinuousClock()
        let started = clock.now
        let output = try RunningProcess.run(try swiftExecutable(), arguments: [
            "build", "--package-path", ZeroDTServeBinary.packageRoot + "/examples/hello-module",
            "--scratch-path", scratch,
            // The cached build description would miss source files added to this package
            // since the last run, and the build would fail on a stale file list.
            "--disable-build-manifest-caching",
        ], timeout: .seconds(1200))
        guard output.status == 0, !output.signalled else {
            throw ProcessTestError(description: "building examples/hello-module failed:\n\(output)")
        }
        print("examples/hello-module built in \(clock.now - started)")
        return scratch + "/debug/hello-server"
    }

    @Test(.timeLimit(.minutes(25))) func buildsServesAndRestarts() throws {
        let server = try Self.buildExample()
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
        let log = try process.waitForStandardError(containing: "is ready; handing over", timeout: .seconds(30))
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
