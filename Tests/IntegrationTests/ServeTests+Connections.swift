import Testing

extension ServeTests {
    /// Keep-alive, pipelining and interim responses.
    @Suite struct Connections {
        private static let get = "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n"

        @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                for path in ["/hello", "/docs/", "/nowhere", "/old", "/hello"] {
                    let response = try client.exchange("GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n")
                    #expect(response.headers["Connection"] == nil, "\(path)")
                }
                #expect(client.staysSilent(for: .milliseconds(100)))
            }
        }

        @Test func pipelinedRequestsAreAnsweredInOrder() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                try client.send("""
                    GET /docs/ HTTP/1.1\r\nHost: test\r\n\r\n\
                    HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n\
                    GET /nowhere HTTP/1.1\r\nHost: test\r\n\r\n\
                    POST /hello HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nabcde\
                    GET /old HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n
                    """)
                let methods = ["GET", "HEAD", "GET", "POST", "GET"]
                let statuses = try methods.map { try client.readResponse(method: $0).status }
                #expect(statuses == [200, 201, 404, 201, 301])
                #expect(client.waitForClose() == .endOfFile(received: []))
            }
        }

        /// curl's `--http2` over plain HTTP offers `Upgrade: h2c` on each connection's first
        /// request; the server answers it as HTTP/1.1 and the connection serves on.
        @Test func anUpgradeOfferIsAnsweredAndTheConnectionServesOn() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                try client.send("GET /hello HTTP/1.1\r\nHost: test\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                                + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n" + Self.get)
                #expect(try client.readResponse().status == 201)
                #expect(try client.readResponse().status == 201)
                #expect(try client.exchange(Self.get).status == 201)
            }
        }

        @Test func requestsBeforeAHalfCloseAreAllAnswered() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                try client.send(Self.get + Self.get)
                client.shutdownWrite()
                #expect(try client.readResponse().status == 201)
                #expect(try client.readResponse().status == 201)
                #expect(client.waitForClose() == .endOfFile(received: []))
            }
        }

        @Test func http10ClosesByDefault() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                let response = try client.exchange("GET /hello HTTP/1.0\r\n\r\n")
                #expect(response.version == "HTTP/1.0")
                #expect(response.status == 201)
                #expect(response.headers["Connection"] == "close")
                #expect(client.waitForClose() == .endOfFile(received: []))
            }
        }

        @Test func http10KeepsAliveWhenAsked() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                for _ in 0..<3 {
                    let response = try client.exchange("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                    #expect(response.version == "HTTP/1.0")
                    #expect(response.headers["Connection"] == "keep-alive")
                }
                #expect(try client.exchange("GET /hello HTTP/1.0\r\n\r\n").headers["Connection"] == "close")
                #expect(client.waitForClose() == .endOfFile(received: []))
            }
        }

        @Test func connectionCloseIsHonoured() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                let response = try client.exchange("GET /hello HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
                #expect(response.headers["Connection"] == "close")
                #expect(client.waitForClose() == .endOfFile(received: []))
            }
        }

        @Test func expectContinueGets100ThenTheResponse() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                try client.send(
                    "POST /hello HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                let interim = try client.readResponse()
                #expect(interim.status == 100)
                #expect(interim.version == "HTTP/1.1")
                #expect(client.staysSilent(for: .milliseconds(100)), "the final response waits for the body")
                try client.send("abcde")
                let response = try client.readResponse()
                #expect(response.status == 201)
                #expect(response.text == "hello\n")
                #expect(try client.exchange(Self.get).status == 201, "the connection is still usable")
            }
        }

        @Test func expectContinueOnATooLargeBodyGetsOnly413() throws {
            try ServeTests.withServer(settings: "    limits: { max_body_size: 16 }") { address in
                let client = try HTTPTestClient(connectingTo: address)
                let response = try client.exchange(
                    "POST /hello HTTP/1.1\r\nHost: test\r\nContent-Length: 17\r\nExpect: 100-continue\r\n\r\n")
                #expect(response.status == 413)
                #expect(client.waitForClose() == .endOfFile(received: []))
            }
        }
    }
}
