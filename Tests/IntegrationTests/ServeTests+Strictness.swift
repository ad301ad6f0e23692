import Foundation
import Testing

extension ServeTests {
    /// The hostile findings F2 and F3 through the binary: field values lose the spaces and
    /// tabs around them on either parser path (RFC 9112 §5), and the request line and
    /// `Host` are held to RFC 9112/9110, no stricter.
    @Suite struct Strictness {
        /// Asks `request` on a connection of its own.
        private static func answer(_ request: String, at address: TestAddress) throws -> HTTPTestResponse {
            try HTTPTestClient(connectingTo: address).exchange(request)
        }

        @Test func aPortWithLeadingZerosIsThePort() throws {
            try ServeTests.withServer { address throws in
                #expect(try Self.answer("GET /hello HTTP/1.1\r\nHost: a:000080\r\n\r\n", at: address).status == 201)
                #expect(try Self.answer("GET /hello HTTP/1.1\r\nHost: a:0000065536\r\n\r\n", at: address).status == 400)
            }
        }

        @Test func aMinorVersionAbove1Is400AndAnotherMajorIs505() throws {
            try ServeTests.withServer { address throws in
                for version in ["1.2", "1.9"] {
                    let response = try Self.answer("GET /hello HTTP/\(version)\r\nHost: a\r\n\r\n", at: address)
                    #expect(response.status == 400, "\(version)")
                }
                // Not simple (a body): the decoder's path reads it the same.
                let post = try Self.answer("POST /hello HTTP/1.2\r\nHost: a\r\nContent-Length: 1\r\n\r\nx", at: address)
                #expect(post.status == 400)
                for version in ["2.0", "3.0", "0.9"] {
                    let client = try HTTPTestClient(connectingTo: address)
                    #expect(try client.exchange("GET /hello HTTP/\(version)\r\nHost: a\r\n\r\n").status == 505, "\(version)")
                    #expect(client.waitForClose() == .endOfFile(received: []))
                }
                #expect(try Self.answer("GET /hello HTTP/1.10\r\nHost: a\r\n\r\n", at: address).status == 400)
            }
        }

        @Test func optionsAsteriskAsksTheServer() throws {
            try ServeTests.withServer { address throws in
                let client = try HTTPTestClient(connectingTo: address)
                let response = try client.exchange("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(response.status == 200)
                #expect(response.headers["Allow"] == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
                #expect(response.headers["Content-Length"] == "0")
                // The connection stays open.
                #expect(try client.exchange("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n").status == 201)
                for method in ["GET", "HEAD", "POST"] {
                    let request = "\(method) * HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"
                    let response = try HTTPTestClient(connectingTo: address).exchange(request, method: method)
                    #expect(response.status == 400, "\(method)")
                }
            }
        }

        @Test func aTabAfterTheMethodIsAMalformedRequestLine() throws {
            try ServeTests.withServer { address throws in
                for request in ["GET\t/hello HTTP/1.1\r\nHost: a\r\n\r\n", "FROB\t/hello HTTP/1.1\r\nHost: a\r\n\r\n",
                                "POST\t/hello HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"] {
                    #expect(try Self.answer(request, at: address).status == 400, "\(request.debugDescription)")
                }
                #expect(try Self.answer("FROB /hello HTTP/1.1\r\nHost: a\r\n\r\n", at: address).status == 501)
            }
        }

        @Test func aFieldValueLosesTheWhitespaceAfterIt() throws {
            try ServeTests.withServer { address throws in
                for value in ["close\t", "close \t", "\t close\t \t"] {
                    let client = try HTTPTestClient(connectingTo: address)
                    let response = try client.exchange("GET /hello HTTP/1.1\r\nHost: a\r\nConnection:\(value)\r\n\r\n")
                    #expect(response.status == 201 && response.headers["Connection"] == "close", "\(value.debugDescription)")
                    #expect(client.waitForClose() == .endOfFile(received: []))
                }
                let client = try HTTPTestClient(connectingTo: address)
                try client.send("POST /hello HTTP/1.1\r\nHost: a\t\r\nExpect: 100-continue\t\r\nContent-Length: 1 \r\n\r\n")
                #expect(try client.readResponse().status == 100)
                try client.send("x")
                #expect(try client.readResponse(method: "POST").status == 201)
            }
        }

        /// A `Connection: upgrade\t` is no upgrade to llhttp, which read on: the decoder was
        /// replaced under it as though it had stopped, and the next request it decoded
        /// crashed the server. A `Proxy-Connection: upgrade` stopped llhttp without the
        /// decoder being replaced: the next request was never answered.
        @Test func upgradeOffersAreAnsweredAsLlhttpReadThem() throws {
            try ServeTests.withServer { address throws in
                for connection in ["Connection: Upgrade\t", "Connection: x,\tupgrade \t", "Proxy-Connection: upgrade",
                                   "Connection: upgrade\t, upgrade"] {
                    let client = try HTTPTestClient(connectingTo: address)
                    try client.send("GET /hello HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\(connection)\r\n\r\n"
                        + "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
                    #expect(try client.readResponse().status == 201, "\(connection.debugDescription)")
                    #expect(try client.readResponse().status == 201, "\(connection.debugDescription)")
                }
            }
        }
    }
}
