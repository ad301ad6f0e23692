import Foundation
import Testing

extension TLSTests.HTTP2 {
    /// A file cut short on disk while an HTTP/2 stream sends it (Tests/Tools/h2_truncated_download.py):
    /// that stream alone is reset with INTERNAL_ERROR, never ended as if complete; the stream
    /// beside it completes, and the connection serves the next request. On both paths: a
    /// GET answered without a stream channel, and one with a body, which gets a stream
    /// channel of its own.
    @Test(arguments: [false, true]) func aFileTruncatedWhileSentResetsOnlyItsStream(withBody: Bool) throws {
        let https = try TLSTests.HTTPSSite(certificates: ["site"])
        let size = 4 << 20
        for name in ["cut.bin", "other.bin"] {
            _ = FileManager.default.createFile(atPath: https.site.path("public/\(name)"), contents: Data(count: size))
        }
        let process = try https.site.serve(https.config(certificates: ["site"], accessLog: true))
        defer { process.kill() }
        let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Tools/h2_truncated_download.py").standardized.path
        let cutSize = 100_000
        let client = try RunningProcess(executable: "/usr/bin/env", arguments: [
            "python3", tool, String(https.port), "site.test", https.ca.certificate, "/files/cut.bin",
            https.site.path("public/cut.bin"), String(cutSize), "/files/other.bin", "/hi",
        ] + (withBody ? ["--with-body"] : []))
        let output = try client.waitForExit(timeout: .seconds(30))
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(output.status == 0 && lines.last == "done", "\(output)")
        let cut = try #require(lines.first { $0.hasPrefix("1 ") }, "\(output)")
        #expect(cut.hasPrefix("1 reset 2 "), "INTERNAL_ERROR, not an END_STREAM: \(output)")
        #expect(Int(cut.split(separator: " ").last ?? "") ?? .max <= cutSize, "nothing past the file's end: \(cut)")
        #expect(lines.contains("3 complete \(size)"), "\(output)")
        #expect(lines.contains("5 complete 3"), "\(output)")
        try process.waitForStandardError(toSatisfy: "a truncation warning naming the request") {
            $0.split(separator: "\n").contains {
                $0.contains("file truncated while being sent; resetting the stream")
                    && $0.contains("request=\"GET /files/cut.bin\"")
            }
        }
        let log = try process.waitForStandardError(containing: "\"GET /files/cut.bin HTTP/2.0\" 200 ")
        if !withBody {
            // The body bytes that went, as the client counted them (nginx's $body_bytes_sent);
            // a stream channel's response still logs the length its head promised.
            let received = cut.split(separator: " ").last.map(String.init) ?? ""
            #expect(log.contains("\"GET /files/cut.bin HTTP/2.0\" 200 \(received) "), "\(cut)\n\(log)")
        }
        #expect(process.isRunning)
    }
}
