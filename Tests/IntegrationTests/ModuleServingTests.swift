import Foundation
import Testing

/// Handler modules served by the real binaries: the built-in modules through
/// `zerodt-serve`, and the adapter's failure behaviour through `zerodt-module-fixture`
/// (zerodt-serve plus modules that throw, sleep and stream).
@Suite(.serialized) struct ModuleServingTests {
    /// Starts `binary` on a config with one server on a free port and the given routes.
    static func serve(binary: String = "zerodt-serve", routes: String, extra: String = "",
                      in directory: TestSite) throws -> (RunningProcess, Int) {
        let port = try LoopbackPort.free()
        let config = try directory.write("site.yaml", """
            servers:
              - name: web
                listen: [127.0.0.1:\(port)]
            \(extra)
                routes:
            \(routes)
            """)
        let executable = URL(fileURLWithPath: try ZeroDTServeBinary.path()).deletingLastPathComponent()
            .appendingPathComponent(binary).path
        let process = try RunningProcess(executable: executable, arguments: ["--config", config])
        try process.waitForStandardError(containing: "] ready")
        return (process, port)
    }

    @Test func echoReturnsTheRequestAsJSON() throws {
        let directory = try TestSite()
        let (server, port) = try Self.serve(routes: """
                  - { path: /echo, handler: echo }
                  - { path: /echo.txt, handler: echo, options: { format: text } }
            """, in: directory)
        let connection = try HTTPTestClient(port: port)
        let response = try connection.request("POST", "/echo?x=1", body: "héllo", headers: ["X-Test: yes"])
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
        #expect(json["method"] as? String == "POST")
        #expect(json["target"] as? String == "/echo?x=1")
        #expect(json["path"] as? String == "/echo")
        #expect(json["query"] as? String == "x=1")
        #expect(json["body"] as? String == "héllo")
        let headers = try #require(json["headers"] as? [[String]])
        #expect(headers.contains(["X-Test", "yes"]))

        let text = try connection.request("PUT", "/echo.txt", body: "abc")
        #expect(text.status == 200)
        #expect(text.text == "PUT /echo.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc")
        server.send(SIGTERM)
        #expect(try server.waitForExit().status == 0)
    }

    @Test func statusReportsTheGeneration() throws {
        let directory = try TestSite()
        let (server, port) = try Self.serve(routes: "      - { path: /status, handler: status }", in: directory)
        let response = try HTTPTestClient(port: port).request("GET", "/status")
        #expect(response.status == 200)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
        #expect(json["pid"] as? Int == Int(server.pid))
        #expect(json["generation"] as? Int == 1)
        #expect(json["draining"] as? Bool == false)
        #expect(json["in_flight_requests"] as? Int == 1)
        #expect(json["last_reload"] is NSNull)
        #expect((json["uptime_seconds"] as? Double).map { $0 >= 0 } == true)
        #expect(json["start_time"] is String)
        let servers = try #require(json["servers"] as? [[String: Any]])
        #expect(servers.count == 1)
        #expect(servers.first?["name"] as? String == "web")
        #expect(servers.first?["connections"] as? Int == 1)
        let listeners = try #require(servers.first?["listeners"] as? [[String: Any]])
        #expect(listeners.first?["address"] as? String == "127.0.0.1:\(port)")
        #expect(listeners.first?["inherited"] as? Bool == false)
        server.send(SIGTERM)
        _ = try server.waitForExit()
    }

    @Test func healthTurns503WhileDraining() throws {
        let directory = try TestSite()
        let (server, port) = try Self.serve(routes: "      - { path: /healthz, handler: health }", extra: """
                timeouts: { drain_grace: 5s }
            """, in: directory)
        let connection = try HTTPTestClient(port: port)
        let before = try connection.request("GET", "/healthz")
        #expect(before.status == 200)
        #expect(before.text == "ok\n")
        server.send(SIGTERM)
        try server.waitForStandardError(containing: "stopping: draining connections")
        // The drain reaches this connection a moment after the log line (within the 5 s
        // grace), and the generation is marked draining before that: ask until the answer
        // says the connection closes, which is the first answer given while draining.
        var during = try connection.request("GET", "/healthz")
        let deadline = ContinuousClock.now + .seconds(4)
        while during.headers["Connection"] != "close" && ContinuousClock.now < deadline {
            during = try connection.request("GET", "/healthz")
        }
        #expect(during.status == 503)
        #expect(during.text == "draining\n")
        #expect(during.headers["Connection"] == "close")
        #expect(try server.waitForExit().status == 0)
    }

    @Test func throwingModuleGives500AndLogsTheError() throws {
        let directory = try TestSite()
        let (server, port) = try Self.serve(binary: "zerodt-module-fixture",
                                            routes: "      - { path: /fail, handler: fail }", in: directory)
        let connection = try HTTPTestClient(port: port)
        let response = try connection.request("GET", "/fail")
        #expect(response.status == 500)
        #expect(response.text == "500 Internal Server Error\n")
        // The connection survives: keep-alive goes on.
        #expect(try connection.request("GET", "/fail").status == 500)
        try server.waitForStandardError(containing: "module 'fail' failed: the fail module always fails")
        server.send(SIGTERM)
        _ = try server.waitForExit()
    }

    @Test func slowModuleDoesNotBlockOtherConnections() throws {
        let directory = try TestSite()
        let (server, port) = try Self.serve(binary: "zerodt-module-fixture", routes: """
                  - { path: /slow, handler: sleep, options: { delay: 5s } }
                  - { path: /echo, handler: echo }
                  - { path: /status, handler: status }
            """, in: directory)
        let clock = ContinuousClock()
        let started = clock.now
        let slow = try HTTPTestClient(port: port)
        try slow.send(HTTPTestClient.requestText("GET", "/slow"))
        // More connections than event loops, so at least one shares the slow one's loop.
        for _ in 0..<4 {
            let response = try HTTPTestClient(port: port).request("GET", "/echo")
            #expect(response.status == 200)
        }
        let status = try HTTPTestClient(port: port).request("GET", "/status")
        let json = try JSONSerialization.jsonObject(with: Data(status.text.utf8)) as? [String: Any]
        // Two in flight: the slow request, still sleeping, and this status request; so the
        // echo requests were answered while the slow one was pending.
        #expect(json?["in_flight_requests"] as? Int == 2, "the slow request and the status request")
        let slept = try slow.readResponse(timeout: .seconds(10))
        #expect(slept.status == 200)
        #expect(slept.text == "slept\n")
        #expect(clock.now - started >= .seconds(5))
        server.send(SIGTERM)
        _ = try server.waitForExit()
    }

    @Test func streamedBodyIsSentWithContentLength() throws {
        let directory = try TestSite()
        let (server, port) = try Self.serve(binary: "zerodt-module-fixture",
                                            routes: "      - { path: /stream, handler: stream, options: { parts: 3 } }",
                                            in: directory)
        let response = try HTTPTestClient(port: port).request("GET", "/stream")
        #expect(response.status == 200)
        #expect(response.text == "part 1\npart 2\npart 3\n")
        #expect(response.headers["content-length"] == "21")
        server.send(SIGTERM)
        _ = try server.waitForExit()
    }

    @Test func bodyOverTheLimitNeverReachesTheModule() throws {
        let directory = try TestSite()
        let (server, port) = try Self.serve(binary: "zerodt-module-fixture",
                                            routes: "      - { path: /fail, handler: fail }", extra: """
                limits: { max_body_size: 64 }
            """, in: directory)
        let response = try HTTPTestClient(port: port).request("POST", "/fail",
                                                                  body: String(repeating: "x", count: 100))
        #expect(response.status == 413)
        server.send(SIGTERM)
        let output = try server.waitForExit()
        #expect(!output.standardError.contains("module 'fail' failed"), "\(output)")
    }

    @Test func aHeaderThatWouldSplitTheResponseIs500AndLogged() throws {
        let directory = try TestSite()
        let (server, port) = try Self.serve(binary: "zerodt-module-fixture",
                                            routes: "      - { path: /inject, handler: header }", in: directory)
        let connection = try HTTPTestClient(port: port)
        let response = try connection.request("GET", "/inject")
        #expect(response.status == 500)
        #expect(response.headers["Set-Cookie"] == nil)
        #expect(try connection.request("GET", "/inject").status == 500, "the connection survives")
        try server.waitForStandardError(containing: "invalid response header \"X-Injected\"")
        server.send(SIGTERM)
        _ = try server.waitForExit()
    }

    /// Serves the echo module as text on `/echo` and runs `body` on a connection to it.
    private static func withTextEcho(_ body: (HTTPTestClient) throws -> Void) throws {
        let directory = try TestSite()
        let (server, port) = try serve(routes: "      - { path: /echo, handler: echo, options: { format: text } }",
                                       in: directory)
        try body(try HTTPTestClient(port: port))
        server.send(SIGTERM)
        _ = try server.waitForExit()
    }

    @Test func pipelinedModuleRequestsAreAllAnsweredWhenTheClientHalfCloses() throws {
        try Self.withTextEcho { connection in
            try connection.send(HTTPTestClient.requestText("GET", "/echo?n=1")
                                + HTTPTestClient.requestText("GET", "/echo?n=2"))
            connection.shutdownWrite()
            #expect(try connection.readResponse().text.hasPrefix("GET /echo?n=1 "))
            #expect(try connection.readResponse().text.hasPrefix("GET /echo?n=2 "))
            #expect(connection.waitForClose() == .endOfFile(received: []))
        }
    }

    @Test func aModuleRequestFollowedByAMalformedOneGetsBothAnswers() throws {
        try Self.withTextEcho { connection in
            try connection.send(HTTPTestClient.requestText("GET", "/echo") + "GET /x HTTP/1.1\r\nno colon here\r\n\r\n")
            #expect(try connection.readResponse().status == 200)
            let refused = try connection.readResponse()
            #expect(refused.status == 400)
            #expect(refused.headers["Connection"] == "close")
        }
    }
}
