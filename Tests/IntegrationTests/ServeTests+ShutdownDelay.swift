import Foundation
import Testing

extension ServeTests {
    /// `shutdown_delay`: on a stop, health checks fail at once while the server still accepts
    /// for the delay, so that a load balancer takes it out before anything is refused. A
    /// restart is no stop: no delay, no 503.
    @Suite struct ShutdownDelay {
        static func config(_ address: TestAddress, delay: String, pidFile: String) -> String {
            """
            servers:
              - name: web
                listen: ["\(address)"]
                shutdown_delay: \(delay)
                timeouts: { drain_grace: 200ms, shutdown: 10s }
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
            let first = try site.serve(Self.config(address, delay: "30s", pidFile: pidFile))
            let family = ServerFamily(site: site, first: first, pidFile: pidFile)
            let successor = try family.restart(timeout: .seconds(15))
            // The old generation left without waiting for the delay, and health never failed.
            #expect(try ServeTests.get("/healthz", from: address).status == 200)
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
    }
}
