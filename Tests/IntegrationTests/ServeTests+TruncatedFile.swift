import Foundation
import Testing

extension ServeTests {
    /// A file cut short while it is being sent: the promised length can no longer be kept,
    /// so the connection must end at once, not spin until the write timeout.
    @Suite struct TruncatedFile {
        @Test func aFileTruncatedWhileSentEndsTheConnection() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            // Larger than the socket buffers on both ends, so the transfer is under way and
            // blocked on this client when the file shrinks.
            let size = 64 << 20
            FileManager.default.createFile(atPath: site.path("big.bin"), contents: Data(count: size))
            let process = try ServeTests.serveFiles(site, at: address, server: "    timeouts: { write: 30s }")
            defer { process.kill() }
            let client = try HTTPTestClient(connectingTo: address)
            try client.send(HTTPTestClient.requestText("GET", "/files/big.bin"))
            #expect(try client.readLine().hasPrefix("HTTP/1.1 200 OK"))
            #expect(truncate(site.path("big.bin"), 0) == 0)
            let clock = ContinuousClock()
            let started = clock.now
            let ending = client.waitForClose(timeout: .seconds(10))
            guard case .endOfFile(let received) = ending else {
                Issue.record("the connection stayed open: \(ending)")
                return
            }
            #expect(received.count < size, "the response was cut short")
            #expect(clock.now - started < .seconds(3), "closed only after \(clock.now - started)")
            #expect(process.isRunning)
        }

        /// The write deadline asks the kernel whether a response that reached the socket only
        /// in part is still moving (`TransmissionProgress`): a client that stops reading sends
        /// no acknowledgement and gets no new data, so it is still cut at `write`.
        @Test func aClientThatStopsReadingIsCutAtTheWriteTimeout() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let size = 64 << 20
            FileManager.default.createFile(atPath: site.path("big.bin"), contents: Data(count: size))
            let process = try ServeTests.serveFiles(site, at: address, server: "    timeouts: { write: 1s }")
            defer { process.kill() }
            let client = try HTTPTestClient(connectingTo: address, receiveBuffer: 16 << 10)
            try client.send(HTTPTestClient.requestText("GET", "/files/big.bin"))
            #expect(try client.readLine().hasPrefix("HTTP/1.1 200 OK"))
            // Reads nothing for three times the timeout, then takes what the server sent.
            Thread.sleep(forTimeInterval: 3)
            let ending = client.waitForClose(timeout: .seconds(20))
            guard case .endOfFile(let received) = ending else {
                Issue.record("the connection stayed open: \(ending)")
                return
            }
            #expect(received.count < size / 2, "the response was cut: \(received.count) bytes")
            #expect(process.isRunning)
        }
    }
}
