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
            // `write` once the server has written it all and closed.
            let size = 512 << 10
            FileManager.default.createFile(atPath: site.path("big.bin"), contents: Data(count: size))
            let process = try ServeTests.serveFiles(site, at: address, server: "    timeouts: { write: 1s }")
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
