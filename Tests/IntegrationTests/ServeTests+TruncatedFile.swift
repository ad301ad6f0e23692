import Foundation
import Testing

extension ServeTests {
    /// A file cut short while it is being sent: the promised length can no longer be kept,
    /// so the connection must end at once, not spin until the write timeout.
    @Suite struct TruncatedFile {
        /// Larger than the socket buffers on both ends, so that a transfer is under way and
        /// blocked on its client.
        private static let size = 64 << 20

        /// Serves a file of `size` bytes with `timeouts`, and asks for it; calls `body` with the
        /// site, the server and the client, once the response's status line has arrived.
        private static func downloading(timeouts: String, receiveBuffer: Int? = nil,
                                        _ body: (TestSite, RunningProcess, HTTPTestClient) throws -> Void) throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            FileManager.default.createFile(atPath: site.path("big.bin"), contents: Data(count: size))
            let process = try ServeTests.serveFiles(site, at: address, server: "    timeouts: \(timeouts)")
            defer { process.kill() }
            let client = try HTTPTestClient(connectingTo: address, receiveBuffer: receiveBuffer)
            try client.send(HTTPTestClient.requestText("GET", "/files/big.bin"))
            #expect(try client.readLine().hasPrefix("HTTP/1.1 200 OK"))
            try body(site, process, client)
        }

        @Test func aFileTruncatedWhileSentEndsTheConnection() throws {
            try Self.downloading(timeouts: "{ write: 30s }") { site, process, client in
                #expect(truncate(site.path("big.bin"), 0) == 0)
                let clock = ContinuousClock()
                let started = clock.now
                let ending = client.waitForClose(timeout: .seconds(10))
                guard case .endOfFile(let received) = ending else {
                    Issue.record("the connection stayed open: \(ending)")
                    return
                }
                #expect(received.count < Self.size, "the response was cut short")
                #expect(clock.now - started < .seconds(3), "closed only after \(clock.now - started)")
                #expect(process.isRunning)
                // The operator is told which request it was.
                try process.waitForStandardError(toSatisfy: "a truncation warning naming the request") {
                    $0.split(separator: "\n").contains {
                        $0.contains("file truncated while being sent; closing the connection")
                            && $0.contains("request=\"GET /files/big.bin\"")
                    }
                }
            }
        }

        /// The write deadline asks the kernel whether a response that reached the socket only
        /// in part is still moving (`TransmissionProgress`): a client that stops reading sends
        /// no acknowledgement and gets no new data, so it is still cut at `write`.
        @Test func aClientThatStopsReadingIsCutAtTheWriteTimeout() throws {
            try Self.downloading(timeouts: "{ write: 1s }", receiveBuffer: 16 << 10) { _, process, client in
                // Reads nothing for three times the timeout, then takes what the server sent.
                Thread.sleep(forTimeInterval: 3)
                let ending = client.waitForClose(timeout: .seconds(20))
                guard case .endOfFile(let received) = ending else {
                    Issue.record("the connection stayed open: \(ending)")
                    return
                }
                #expect(received.count < Self.size / 2, "the response was cut: \(received.count) bytes")
                #expect(process.isRunning)
            }
        }
    }
}
