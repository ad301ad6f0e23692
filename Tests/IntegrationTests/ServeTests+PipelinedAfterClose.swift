import Foundation
import Testing

extension ServeTests {
    /// A client that pipelines requests behind one with `Connection: close`: the server
    /// answers the first in full and ignores the rest, and its close must not turn the
    /// unread requests into a reset that throws away the answer's unsent megabytes.
    @Suite struct PipelinedAfterClose {
        @Test func theAnswerBeforeTheCloseArrivesWholeDespiteUnreadRequestsBehindIt() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            // Larger than the socket buffers on both ends: most of it is still queued when
            // the pipelined requests arrive.
            let size = 20 << 20
            FileManager.default.createFile(atPath: site.path("big.bin"), contents: Data(count: size))
            FileManager.default.createFile(atPath: site.path("small.txt"), contents: Data("hi\n".utf8))
            let process = try ServeTests.serveFiles(site, at: address)
            defer { process.kill() }
            let client = try HTTPTestClient(connectingTo: address)
            // 1 KiB of them, as the hostile test that found this sent (a reset after 0.1 to 0.4
            // of the 20 MiB, before the HTTP/1 fast path and the lingering close).
            let pipelined = String(repeating: HTTPTestClient.requestText("GET", "/files/small.txt"), count: 24)
            try client.send("GET /files/big.bin HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n" + pipelined)
            let ending = client.waitForClose(timeout: .seconds(20))
            guard case .endOfFile(let received) = ending else {
                Issue.record("the connection did not end cleanly: \(ending)")
                return
            }
            let head = try #require(received.firstRange(of: Array("\r\n\r\n".utf8)))
            #expect(received.count - head.upperBound == size)
        }
    }
}
