import Foundation
import Testing
import TestSupport

extension TLSTests {
    /// HTTP/2 over TLS, chosen by ALPN: the same routes and handlers as HTTP/1.1, and a drain
    /// that loses no stream across reloads.
    @Suite(.serialized) struct HTTP2 {
        /// Whether Debian's nghttp2-client is installed (`.ci/run` installs it).
        static let hasH2load = FileManager.default.isExecutableFile(atPath: "/usr/bin/h2load")

        /// curl over HTTP/2 (when the server offers it) to `path` on `site.test`.
        static func curl(_ https: HTTPSSite, _ path: String, _ options: [String] = []) throws -> ProcessOutput {
            try https.curl(path, name: "site", options, version: "--http2")
        }

        @Test func curlGetsRoutesFilesRangesHeadPostAndErrorsOverHTTP2() throws {
            let https = try HTTPSSite(certificates: ["site"])
            var generator = SplitMix64(seed: 2)
            let bytes = (0..<(300 * 1024 + 7)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = FileManager.default.createFile(atPath: https.site.path("public/big.bin"), contents: Data(bytes))
            let process = try https.site.serve(https.config(certificates: ["site"], accessLog: true))
            defer { process.kill() }

            let hi = try Self.curl(https, "/hi", ["--include"])
            #expect(hi.standardOutput.hasPrefix("HTTP/2 200 \r\n"), "\(hi)")
            #expect(hi.standardOutput.hasSuffix("\r\n\r\nhi\n"))
            #expect(!hi.standardOutput.lowercased().contains("connection:"))
            let logged = try process.waitForStandardError(containing: "\"GET /hi HTTP/2.0\" 200 3 ")
            #expect(logged.split(separator: "\n").contains { $0.contains("\"GET /hi HTTP/2.0\"") && $0.contains(" scheme=https") })

            let file = try Self.curl(https, "/files/big.bin", ["--output", https.site.path("got.bin"),
                                                               "--write-out", "%{http_version}"])
            #expect(file.status == 0 && file.standardOutput == "2", "\(file)")
            #expect(FileManager.default.contents(atPath: https.site.path("got.bin")) == Data(bytes))
            let range = try Self.curl(https, "/files/big.bin", ["--range", "70000-70009", "--include"])
            #expect(range.standardOutput.hasPrefix("HTTP/2 206 \r\n"), "\(range)")
            #expect(range.standardOutput.hasSuffix(String(decoding: bytes[70000...70009], as: UTF8.self)))
            let head = try Self.curl(https, "/files/big.bin", ["--head"])
            #expect(head.standardOutput.hasPrefix("HTTP/2 200 \r\n"))
            #expect(head.standardOutput.contains("content-length: \(bytes.count)\r\n"))
            let etag = try #require(head.standardOutput.split(separator: "\r\n").first { $0.hasPrefix("etag: ") })
            let notModified = try Self.curl(https, "/files/big.bin", ["--include", "--header",
                                                                      "If-None-Match: \(etag.dropFirst(6))"])
            #expect(notModified.standardOutput.hasPrefix("HTTP/2 304 \r\n"), "\(notModified)")
            let post = try Self.curl(https, "/hi", ["--data-binary", String(repeating: "x", count: 100_000),
                                                    "--write-out", " %{http_code}"])
            #expect(post.standardOutput == "hi\n 200", "\(post)")
            let missing = try Self.curl(https, "/nope", ["--write-out", " %{http_code} %{http_version}"])
            #expect(missing.standardOutput.hasSuffix(" 404 2"), "\(missing)")
            // The body limit (1 MiB by default) holds on a stream as on a connection.
            let large = try Self.curl(https, "/hi", ["--data-binary", "@" + https.site.path("got.bin"),
                                                     "--write-out", "%{http_code}", "--output", "/dev/null"])
            #expect(large.standardOutput == "200", "\(large)")
            try Data(count: 2 * 1024 * 1024).write(to: URL(fileURLWithPath: https.site.path("huge.bin")))
            let tooLarge = try Self.curl(https, "/hi", ["--data-binary", "@" + https.site.path("huge.bin"),
                                                        "--write-out", "%{http_code}", "--output", "/dev/null"])
            #expect(tooLarge.standardOutput == "413", "\(tooLarge)")
            // HTTP/1.1 still, for a client that asks for it.
            #expect(try https.curl("/hi", name: "site", ["--write-out", "%{http_version}"]).standardOutput == "hi\n1.1")
        }

        /// An answer that comes while the upload is still arriving (a 413 at once, from
        /// `Content-Length`) ends the stream without error: curl reports the 413 and succeeds,
        /// and sends its next request on the same connection.
        @Test func anEarlyAnswerToAnUploadLeavesTheConnectionServing() throws {
            let https = try HTTPSSite(certificates: ["site"])
            let upload = https.site.path("upload.bin")
            try Data(count: 24 * 1024).write(to: URL(fileURLWithPath: upload))
            let process = try https.site.serve(https.config(certificates: ["site"],
                                                            server: "    limits: { max_body_size: 1KiB }"))
            defer { process.kill() }
            let connection = ["--http2", "--cacert", https.ca.certificate, "--resolve", "site.test:\(https.port):127.0.0.1"]
            let url = "https://site.test:\(https.port)/hi"
            let output = try TLSTestClients.curl(
                connection + ["--limit-rate", "4k", "--data-binary", "@" + upload, "--write-out", " %{http_code}\n", url,
                              "--next"]
                + connection + ["--write-out", " %{http_code} %{num_connects}", url])
            #expect(output.status == 0, "\(output)")
            #expect(output.standardOutput == "413 Payload Too Large\n 413\nhi\n 200 0", "\(output)")
        }

        /// Streams answered without a stream channel of their own (GETs of a fixed response
        /// and of a file, a HEAD, a 404) and streams that need one (POSTs with a body), twenty
        /// sent at once on one connection (Tests/Tools/h2_mixed_streams.py): each gets its own
        /// answer, whole, ended with END_STREAM, and no stream or the connection is reset.
        @Test func directAndStreamChannelAnswersMixOnOneConnection() throws {
            let https = try HTTPSSite(certificates: ["site"])
            var generator = SplitMix64(seed: 11)
            let bytes = (0..<100_003).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = FileManager.default.createFile(atPath: https.site.path("public/mid.bin"), contents: Data(bytes))
            let process = try https.site.serve(https.config(certificates: ["site"], accessLog: true))
            defer { process.kill() }
            let kinds = [("GET:/hi", "200 3"), ("POST:/hi:10000", "200 3"), ("GET:/files/mid.bin", "200 100003"),
                         ("GET:/nope", "404 14"), ("HEAD:/files/mid.bin", "200 0")]
            let requests = (0..<4).flatMap { _ in kinds }
            let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../Tools/h2_mixed_streams.py").standardized.path
            let client = try RunningProcess(executable: "/usr/bin/env", arguments: [
                "python3", tool, String(https.port), "site.test", https.ca.certificate,
            ] + requests.map(\.0))
            let output = try client.waitForExit(timeout: .seconds(30))
            let expected = requests.enumerated().map { index, request in
                let parts = request.0.split(separator: ":")
                return "\(2 * index + 1) \(parts[0]) \(parts[1]) \(request.1)\n"
            }.joined() + "done\n"
            #expect(output.status == 0 && output.standardOutput == expected, "\(output)")
            // Both paths log as HTTP/2.0.
            _ = try process.waitForStandardError(containing: "\"POST /hi HTTP/2.0\" 200 3 ")
            _ = try process.waitForStandardError(containing: "\"GET /files/mid.bin HTTP/2.0\" 200 100003 ")
        }

        @Test func alpnWithOnlyHTTP1MakesCurlFallBackToHTTP1() throws {
            let https = try HTTPSSite(certificates: ["site"])
            let process = try https.site.serve(https.config(certificates: ["site"]).replacingOccurrences(
                of: "tls: {certificates: [{cert: site.pem, key: site.key}]}",
                with: "tls: {certificates: [{cert: site.pem, key: site.key}], alpn: [http/1.1]}"))
            defer { process.kill() }
            let answer = try Self.curl(https, "/hi", ["--write-out", "%{http_version}"])
            #expect(answer.standardOutput == "hi\n1.1", "\(answer)")
        }

        /// h2load keeps 8 connections busy (10 streams each, a new request as each answer
        /// comes) while the server reloads just after the first is up: each connection of the
        /// old generation is drained with its first answers, and h2load, which opens no new
        /// connection after a GOAWAY, reports its end ("Process Request Failure": the drain met
        /// it busy) but no failed request. Without the drain's probe, nghttp2 failed the 10
        /// requests it had queued for the answers it read together with the GOAWAY.
        /// (A few connections: h2load's timed mode hangs on one still in its handshake when
        /// the time is up, and a debug build's handshakes are slow.)
        @Test(.enabled(if: hasH2load)) func h2loadOnBusyKeptConnectionsFailsNoRequestWhenDrained() throws {
            let (https, process) = try TLSTests.Reload.start()
            defer { TLSTests.Reload.stop(https, process) }
            for round in 0..<3 {
                let load = try RunningProcess(executable: "/usr/bin/env", arguments: [
                    "h2load", "-c", "8", "-m", "10", "-D", "3", "https://127.0.0.1:\(https.port)/hi",
                ])
                try load.waitForStandardOutput(toSatisfy: "report a connection") { $0.contains("Application protocol: h2") }
                let reload = try TLSTests.Reload.reload(https)
                #expect(reload.status == 0, "round \(round): \(reload)")
                let output = try load.waitForExit(timeout: .seconds(30))
                #expect(output.standardOutput.contains("Process Request Failure"), "round \(round): \(output)")
                #expect(output.standardOutput.contains(" 0 failed, 0 errored, 0 timeout"), "round \(round): \(output)")
            }
        }

        /// h2load opens 400 connections over 4 s (10 every 100 ms), each sending its 10
        /// requests at once, while the server reloads 10 times: every connection is served by
        /// one generation or drained by it (its streams answered, then GOAWAY), and new ones
        /// reach the successor; one of the reloads fails (a broken certificate) without a
        /// loss either. (h2load gives up requests it has not sent yet once a GOAWAY
        /// arrives instead of opening another connection, so each connection sends all of its
        /// requests up front.)
        @Test(.enabled(if: hasH2load)) func h2loadLosesNoRequestAcrossTenReloads() throws {
            let (https, process) = try TLSTests.Reload.start()
            defer { TLSTests.Reload.stop(https, process) }
            let load = try RunningProcess(executable: "/usr/bin/env", arguments: [
                "h2load", "-c", "400", "-n", "4000", "-m", "10", "-r", "10", "--rate-period", "100ms",
                "https://127.0.0.1:\(https.port)/hi",
            ])
            // In the middle, a reload with a broken certificate fails and serving goes on;
            // the next, with the certificate back, succeeds.
            let certificate = URL(fileURLWithPath: https.site.path("site.pem"))
            let good = try Data(contentsOf: certificate)
            for round in 0..<10 {
                Thread.sleep(forTimeInterval: 0.25)
                if round == 4 {
                    try Data("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n".utf8).write(to: certificate)
                } else if round == 5 {
                    try good.write(to: certificate)
                }
                let reload = try TLSTests.Reload.reload(https)
                #expect(reload.status == (round == 4 ? 1 : 0), "round \(round): \(reload)")
            }
            let output = try load.waitForExit(timeout: .seconds(30))
            #expect(output.standardOutput.contains(
                "requests: 4000 total, 4000 started, 4000 done, 4000 succeeded, 0 failed, 0 errored, 0 timeout"),
                "\(output)")
            #expect(output.standardOutput.contains("status codes: 4000 2xx"), "\(output)")
        }
    }
}
