import Foundation
import Testing

extension ServeTests {
    /// SIGTERM: stop accepting, finish what is in flight, give idle connections the drain
    /// grace, exit 0 by the `shutdown` deadline (DESIGN §4).
    @Suite struct Shutdown {
        private static let get = "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n"

        /// Starts a server with `timeouts`, and a client whose request is in flight: its head
        /// is in (the server said `100 Continue`) and its body is still to come.
        private static func serveWithRequestInFlight(_ site: TestSite, timeouts: String)
            throws -> (RunningProcess, TestAddress, HTTPTestClient)
        {
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let process = try site.serve(ServeTests.config(listen: [address], settings: "    timeouts: \(timeouts)"))
            let client = try HTTPTestClient(connectingTo: address)
            try client.send("POST /hello HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\n")
            #expect(try client.readResponse().status == 100)
            try client.send("abc")
            return (process, address, client)
        }

        private static func startDrain(_ process: RunningProcess) throws {
            process.send(SIGTERM)
            try process.waitForStandardError(containing: "stopping: draining connections")
        }

        /// The log line comes before the drain reaches the connections, so a keep-alive
        /// `probe` asks until an answer carries `Connection: close`. The drain is dispatched
        /// to every connection at once, so then the others have it too.
        private static func waitUntilConnectionsDrain(probe: HTTPTestClient) throws {
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                if try probe.exchange(Self.get).headers["Connection"] == "close" { return }
            }
            Issue.record("no response said Connection: close within 5s of the drain")
        }

        @Test func requestsInFlightAndJustArrivedFinishWithConnectionClose() throws {
            let site = try TestSite()
            let (process, address, slow) = try Self.serveWithRequestInFlight(
                site, timeouts: "{ drain_grace: 3s, shutdown: 10s }")
            let idle = try HTTPTestClient(connectingTo: address)
            #expect(try idle.exchange(Self.get).headers["Connection"] == nil)
            let probe = try HTTPTestClient(connectingTo: address)
            #expect(try probe.exchange(Self.get).status == 201)
            try Self.startDrain(process)
            try Self.waitUntilConnectionsDrain(probe: probe)

            #expect(process.isRunning, "the slow request is still in flight")
            try slow.send("def")
            let response = try slow.readResponse()
            #expect(response.status == 201)
            #expect(response.text == "hello\n")
            #expect(response.headers["Connection"] == "close")
            #expect(slow.waitForClose() == .endOfFile(received: []))

            // A request on an idle keep-alive connection within the grace is still answered.
            let late = try idle.exchange(Self.get)
            #expect(late.status == 201)
            #expect(late.headers["Connection"] == "close")
            #expect(idle.waitForClose() == .endOfFile(received: []))

            let start = ContinuousClock.now
            let output = try process.waitForExit(timeout: .seconds(5))
            #expect(output.status == 0 && !output.signalled, "\(output)")
            #expect(ContinuousClock.now - start < .seconds(2), "exits once the last connection closed")
            #expect(output.standardError.hasSuffix("stopped\n"))
        }

        @Test func idleConnectionIsClosedAfterTheDrainGrace() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let process = try site.serve(ServeTests.config(
                listen: [address], settings: "    timeouts: { drain_grace: 500ms, shutdown: 10s }"))
            let idle = try HTTPTestClient(connectingTo: address)
            #expect(try idle.exchange(Self.get).status == 201)
            let start = ContinuousClock.now
            try Self.startDrain(process)
            #expect(idle.waitForClose() == .endOfFile(received: []))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(2), "after \(elapsed)")
            let output = try process.waitForExit(timeout: .seconds(5))
            #expect(output.status == 0 && !output.signalled, "\(output)")
        }

        @Test func shutdownDeadlineClosesWhatIsLeftAndExits0() throws {
            let site = try TestSite()
            let (process, _, slow) = try Self.serveWithRequestInFlight(site, timeouts: "{ shutdown: 1s, idle: 30s }")
            let start = ContinuousClock.now
            try Self.startDrain(process)
            #expect(slow.waitForClose() == .endOfFile(received: []))
            let output = try process.waitForExit(timeout: .seconds(5))
            let elapsed = ContinuousClock.now - start
            #expect(output.status == 0 && !output.signalled, "\(output)")
            #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(3), "after \(elapsed)")
        }

        @Test func secondSignalExitsAtOnce() throws {
            let site = try TestSite()
            let (process, _, slow) = try Self.serveWithRequestInFlight(site, timeouts: "{ shutdown: 30s, idle: 30s }")
            try Self.startDrain(process)
            let start = ContinuousClock.now
            process.send(SIGTERM)
            let output = try process.waitForExit(timeout: .seconds(5))
            #expect(ContinuousClock.now - start < .seconds(2))
            #expect(output.status == 1 && !output.signalled, "\(output)")
            #expect(output.standardError.contains("second stop signal"))
            let end = slow.waitForClose()
            #expect(end == .endOfFile(received: []) || end == .reset, "\(end)")
        }

        @Test func pidFileIsWrittenAndRemovedAtExit() throws {
            let site = try TestSite()
            let pidFile = site.path("run.pid")
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let process = try site.serve(ServeTests.config(listen: [address], site: "pid_file: \(pidFile)"))
            #expect(try String(contentsOfFile: pidFile, encoding: .utf8) == "\(process.pid)\n")
            let output = try ServeTests.stop(process)
            #expect(output.status == 0, "\(output)")
            #expect(!FileManager.default.fileExists(atPath: pidFile))
        }
    }
}
