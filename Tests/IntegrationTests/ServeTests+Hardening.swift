import Foundation
import Testing

extension ServeTests {
    /// Issue 11 through the binary: redirects stay on this host, message framing follows
    /// RFC 9112, and the access log shows what was received, escaped.
    @Suite struct Hardening {
        @Test func aStrayControlFDVariableIsIgnored() throws {
            // Pointing at stderr (a pipe here) once made the server wait for a predecessor forever.
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            try ServeTests.config(listen: [address]).write(toFile: site.configFile, atomically: true, encoding: .utf8)
            let process = try ZeroDTServeBinary.start(["--config", site.configFile],
                                                      environment: ["ZERODT_CONTROL_FD": "2", "ZERODT_PID_LOCK_FD": "1"],
                                                      currentDirectory: site.directory)
            try process.waitForStandardError(containing: "] ready ")
            #expect(try ServeTests.get("/hello", from: address).status == 201)
            #expect(try ServeTests.stop(process).status == 0)
        }

        @Test func aRedirectRouteNeverLeavesThisHost() throws {
            try ServeTests.withServer { address in
                for target in ["/legacy/\\evil.example/x", "/legacy//evil.example/x"] {
                    let response = try ServeTests.get(target, from: address)
                    #expect(response.status == 302)
                    #expect(response.headers["Location"] == "/evil.example/x", "\(target)")
                }
            }
        }

        @Test func framingThatCannotBeTrustedIs400AndCloses() throws {
            try ServeTests.withServer { address in
                for request in [
                    "GET /hello HTTP/1.1\r\n\r\n",
                    "GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                    "POST /hello HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
                    "POST /hello HTTP/1.1\r\nHost: test\r\nTransfer-Encoding:\r\n\r\n",
                ] {
                    let client = try HTTPTestClient(connectingTo: address)
                    let response = try client.exchange(request)
                    #expect(response.status == 400, "\(request.debugDescription)")
                    #expect(response.headers["Connection"] == "close")
                    #expect(client.waitForClose() == .endOfFile(received: []))
                }
            }
        }

        @Test func aChunkedHTTP10RequestIsAnsweredThenTheConnectionCloses() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                let response = try client.exchange("""
                    POST /hello HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n\
                    3\r\nabc\r\n0\r\n\r\n
                    """)
                #expect(response.status == 201)
                #expect(response.headers["Connection"] == "close")
                #expect(client.waitForClose() == .endOfFile(received: []))
            }
        }

        @Test func theTextAccessLogEscapesTargetsAndLogsRefusalsAsReceived() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let config = ServeTests.config(listen: [address]).replacingOccurrences(of: "log: { access: false }",
                                                                                  with: "log: { access: true }")
            let process = try site.serve(config)
            defer { process.kill() }
            #expect(try ServeTests.get("/a\"b", from: address).status == 404)
            try process.waitForStandardError(containing: #""GET /a\"b HTTP/1.1" 404"#)
            let client = try HTTPTestClient(connectingTo: address)
            #expect(try client.exchange("PUT /x?q=1 HTTP/1.1\r\nno colon here\r\n\r\n").status == 400)
            try process.waitForStandardError(containing: #""PUT /x?q=1 HTTP/1.1" 400"#)
        }

        @Test func theJSONAccessLogEscapesOnceAsJSON() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let config = ServeTests.config(listen: [address]).replacingOccurrences(of: "log: { access: false }",
                                                                                  with: "log: { access: true, format: json }")
            let process = try site.launch(config)
            defer { process.kill() }
            try process.waitForStandardError(containing: #""msg":"ready""#)
            #expect(try ServeTests.get("/a\"b", from: address).status == 404)
            let log = try process.waitForStandardError(containing: #""target":"/a\"b""#)
            // The message is the same request line, JSON-escaped once (not nginx-escaped first).
            #expect(log.contains(#""msg":"\"GET /a\"b HTTP/1.1\" 404 "#), "\(log)")
        }
    }
}
