import Foundation
import Testing

extension ServeTests {
    /// `shutdown_delay`: on a stop, health checks fail at once while the server still accepts
    /// for the delay, so that a load balancer takes it out before anything is refused. A
    /// restart is no stop: no delay, no 503.
    @Suite struct ShutdownDelay {
        static func config(_ address: TestAddress, delay: String, pidFile: String, grace: String = "200ms") -> String {
            """
            servers:
              - name: web
                listen: ["\(address)"]
                shutdown_delay: \(delay)
                timeouts: { drain_grace: \(grace), shutdown: 10s }
                routes:
                  - path: /hello
                    respond: "hello\\n"
                  - path: /healthz
                    handler: health
            pid_file: \(pidFile)
            log: { access: false }
            """
        }

        @Test func aStopFailsHealthChecksAtOnceAndAcceptsForTheDelay() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let process = try site.serve(Self.config(address, delay: "2s", pidFile: site.path("run.pid")))
            #expect(try ServeTests.get("/healthz", from: address).status == 200)
            let stopped = ContinuousClock.now
            process.send(SIGTERM)
            try process.waitForStandardError(containing: "stopping: draining connections")
            let health = try ServeTests.get("/healthz", from: address)
            #expect(health.status == 503 && health.text == "draining\n")
            // New connections are still accepted and served for the rest of the delay.
            var served = 0
            while ContinuousClock.now - stopped < .milliseconds(1500) {
                #expect(try ServeTests.get("/hello", from: address).text == "hello\n")
                served += 1
            }
            #expect(served > 0)
            let output = try process.waitForExit(timeout: .seconds(15))
            #expect(output.status == 0, "\(output)")
            #expect(ContinuousClock.now - stopped >= .seconds(2), "the delay was cut short")
            #expect(throws: HTTPTestClientError.self, "refused once stopped") { try ServeTests.get("/hello", from: address) }
        }

        @Test func aRestartHasNoDelayAndNo503() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let pidFile = site.path("run.pid")
            let first = try site.serve(Self.config(address, delay: "30s", pidFile: pidFile, grace: "5s"))
            let family = ServerFamily(site: site, first: first, pidFile: pidFile)
            let keptAlive = try HTTPTestClient(connectingTo: address)
            #expect(try keptAlive.exchange("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").status == 200)
            first.send(SIGHUP)
            let successor = try #require(poll(timeout: .seconds(15)) { family.currentPID.flatMap { $0 != first.pid ? $0 : nil } })
            // The old generation, draining, still answers its keep-alive client: healthy.
            let old = try keptAlive.exchange("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(old.status == 200 && old.headers["Connection"] == "close")
            #expect(try ServeTests.get("/healthz", from: address).status == 200)
            // It left without waiting for the 30s delay.
            try family.waitForExit(of: first.pid, timeout: .seconds(15))
            kill(successor, SIGKILL)
        }

        @Test func aSecondStopSignalCutsTheDelayShort() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let process = try site.serve(Self.config(address, delay: "30s", pidFile: site.path("run.pid")))
            process.send(SIGTERM)
            try process.waitForStandardError(containing: "stopping: draining connections")
            process.send(SIGTERM)
            let output = try process.waitForExit(timeout: .seconds(10))
            #expect(output.status == 1, "\(output)")
        }

        @Test func theControlSocketAnswersUntilTheStopEnds() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let config = Self.config(address, delay: "3s", pidFile: site.path("run.pid")) + "\ncontrol: control.sock\n"
            let process = try site.serve(config)
            process.send(SIGTERM)
            try process.waitForStandardError(containing: "stopping: draining connections")
            let status = try ZeroDTServeBinary.run(["status", "--config", site.configFile], currentDirectory: site.directory,
                                                   timeout: .seconds(5))
            #expect(status.status == 0 && status.standardOutput.contains("stopping"), "\(status)")
            let reload = try ZeroDTServeBinary.run(["reload", "--config", site.configFile], currentDirectory: site.directory,
                                                   timeout: .seconds(5))
            #expect(reload.status == 1 && reload.standardError.contains("the server is stopping"), "\(reload)")
            #expect(try process.waitForExit(timeout: .seconds(15)).status == 0)
        }
    }
}
