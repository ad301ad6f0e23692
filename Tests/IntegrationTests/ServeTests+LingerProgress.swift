import Foundation
import Testing

extension ServeTests {
    /// The lingering close is judged by progress, as the write timeout is: a client that
    /// reads the end of its answer slowly but steadily, and sends while it reads, keeps its
    /// connection past `timeouts.write` after the close, until it has all of it.
    @Suite struct LingerProgress {
        @Test func aSteadyReaderThatTalksGetsTheEndOfItsAnswerPastTheWriteTimeout() throws {
            let site = try TestSite()
            let port = try LoopbackPort.free()
            let address = TestAddress.tcp(host: "127.0.0.1", port: port)
            // At 100 kB/s, the end of it still waits in the server's kernel for longer than
            // `write` (about 4 s) once the server has written it all and closed.
            let size = 512 << 10
            FileManager.default.createFile(atPath: site.path("big.bin"), contents: Data(count: size))
            // `write` well above what the kernel can see of the client's pace: its window
            // opens a segment at a time (64 KiB on loopback), so new data goes out every
            // 0.7–0.9 s, and at the end the client still has its whole buffer to read
            // (about 128 KiB, 1.3 s). At 1 s, a client held up for 0.2 s on a busy machine
            // had made no progress, and was cut and reset mid-answer.
            let process = try ServeTests.serveFiles(site, at: address, server: "    timeouts: { write: 2s }")
            defer { process.kill() }
            let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../Tools/h1_slow_download.py").standardized.path
            let client = try RunningProcess(executable: "/usr/bin/env", arguments: [
                "python3", tool, String(port), "/files/big.bin", "100000",
            ])
            let output = try client.waitForExit(timeout: .seconds(30))
            #expect(output.status == 0 && output.standardOutput.hasSuffix("complete \(size)\n"), "\(output)")
        }
    }
}
