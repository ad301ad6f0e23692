import Foundation
import Testing

/// Zero-downtime restarts through the real binary (DESIGN §3): under load, not one request
/// may fail, whatever happens to the successor.
@Suite(.serialized) struct RestartTests {
    static let body = "hello\n"

    /// A config whose `/hello` answers `body` to any method, with a pid file; `extra` is YAML
    /// spliced in at the top level.
    static func config(_ address: TestAddress, pidFile: String, body: String = body, extra: String = "",
                       serverExtra: String = "", drainGrace: String = "300ms") -> String {
        """
        servers:
          - name: web
            listen: ["\(address)"]
            timeouts: { drain_grace: \(drainGrace), shutdown: 10s }
        \(serverExtra)
            routes:
              - path: /hello
                respond: \(body.debugDescription)
        pid_file: \(pidFile)
        log: { access: false }
        \(extra)
        """
    }

    /// Starts generation 1 of `config` and waits until it serves.
    static func start(_ config: (TestAddress, String) -> String, environment: [String: String] = [:])
        throws -> (ServerFamily, TestAddress)
    {
        let site = try TestSite()
        let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
        let pidFile = site.path("run.pid")
        try config(address, pidFile).write(toFile: site.configFile, atomically: true, encoding: .utf8)
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], environment: environment,
                                                currentDirectory: site.directory)
        try first.waitForStandardError(containing: "] serving ")
        return (ServerFamily(site: site, first: first, pidFile: pidFile), address)
    }

    /// Runs `body` under load and expects not one failed request; with `inFlightMayFail`,
    /// only that no connection is refused (requests a killed process held may fail).
    static func underLoad(_ address: TestAddress, body expected: String = body, inFlightMayFail: Bool = false,
                          _ body: () throws -> Void) throws {
        let load = LoadGenerator(address: address, path: "/hello", expectedBody: expected)
        load.start()
        // Let every worker get going before the first restart.
        _ = poll(timeout: .seconds(10)) { load.completed > 200 ? true : nil }
        var thrown: (any Error)?
        do { try body() } catch { thrown = error }
        // Keep the load on a little longer, so that what `body` set off is crossed by requests.
        let after = load.completed + 200
        _ = poll(timeout: .seconds(10)) { load.completed > after ? true : nil }
        let report = load.stop()
        print("load: \(report)")
        if let thrown { throw thrown }
        #expect(report.refused == 0, "\(report)")
        if !inFlightMayFail { #expect(report.failures == 0, "\(report)") }
        #expect(report.requests > 400, "too little load to mean anything: \(report)")
    }

    static func restartsUnderLoad(stateful: Bool) throws {
        let extra = stateful ? "restart: { wait_parent: 10s }" : ""
        let (family, address) = try start { config($0, pidFile: $1, extra: extra) }
        var pids: Set<Int32> = [family.first.pid]
        try underLoad(address) {
            for _ in 0..<20 { pids.insert(try family.restart()) }
        }
        #expect(pids.count == 21, "every restart must produce a new pid")
        // Each old generation exits once its successor says it accepts, not at a timeout.
        #expect(!family.log.contains("did not say it accepts"), "\(family.log)")
        try family.stop()
        // For lining up a failure with the server's log: ZERODT_TEST_KEEP_LOG=<file>.
        if let path = ProcessInfo.processInfo.environment["ZERODT_TEST_KEEP_LOG"] {
            try? family.log.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    @Test func twentyStatelessRestartsUnderLoadLoseNothing() throws {
        try Self.restartsUnderLoad(stateful: false)
    }

    @Test func twentyStatefulRestartsUnderLoadLoseNothing() throws {
        try Self.restartsUnderLoad(stateful: true)
    }

    @Test func aRestartPicksUpAChangedConfig() throws {
        let site = try TestSite()
        let kept = TestAddress.unix(path: site.path("kept.sock"))
        let removed = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
        let added = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
        let pidFile = site.path("run.pid")
        func write(listen: [TestAddress], extraRoute: String) throws {
            let config = """
                servers:
                  - name: web
                    listen: [\(listen.map { "\"\($0)\"" }.joined(separator: ", "))]
                    routes:
                      - path: /hello
                        respond: "hello\\n"
                \(extraRoute)
                pid_file: \(pidFile)
                log: { access: false }
                """
            try config.write(toFile: site.configFile, atomically: true, encoding: .utf8)
        }
        try write(listen: [kept, removed], extraRoute: "")
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], currentDirectory: site.directory)
        try first.waitForStandardError(containing: "] serving ")
        let family = ServerFamily(site: site, first: first, pidFile: pidFile)
        #expect(try ServeTests.get("/hello", from: removed).status == 200)
        #expect(try ServeTests.get("/new", from: kept).status == 404)

        let keptClient = try HTTPTestClient(connectingTo: kept)
        #expect(try keptClient.exchange("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n").status == 200)
        try write(listen: [kept, added], extraRoute: "      - path: /new\n        respond: \"new\\n\"")
        try family.restart()

        #expect(try ServeTests.get("/new", from: kept).text == "new\n")
        #expect(try ServeTests.get("/new", from: added).text == "new\n")
        #expect(throws: HTTPTestClientError.self, "the removed listener must stop accepting") {
            try ServeTests.get("/hello", from: removed)
        }
        #expect(FileManager.default.fileExists(atPath: site.path("kept.sock")))
        try family.stop()
        #expect(!FileManager.default.fileExists(atPath: site.path("kept.sock")))
    }
}
