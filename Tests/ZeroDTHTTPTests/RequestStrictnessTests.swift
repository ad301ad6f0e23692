import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// Findings F2 and F3 in the connection's pipeline, with the fast path and with NIO's
/// decoder reading every request: a head gets the same answer whichever path reads it.
@Suite struct RequestStrictnessTests {
    /// Answers with the request's version, target and fields, each value in brackets.
    private final class Echo: HTTPHandler, @unchecked Sendable {
        var allowedMethods: [HTTPMethod]? { nil }

        func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
            let fields = request.head.headers.map { "\($0.name)=[\($0.value)]" }.joined(separator: ";")
            let body = request.body.map { " body=[\(String(buffer: $0))]" } ?? ""
            return .response(HTTPResponse(status: .ok, text: "\(request.head.version) \(request.path) \(fields)\(body)\n"))
        }
    }

    /// The channel, its path chosen, with the request `text` sent; the answer as text.
    private static func answer(_ text: String, readsSimpleHeads: Bool) throws -> (String, EmbeddedChannel) {
        var configuration = HTTPServerConfiguration()
        configuration.maxHeaderSize = 1024
        let channel = EmbeddedChannel(loop: EmbeddedEventLoop())
        let (logger, _) = RecordingLogHandler.logger()
        try channel.addConnectionHandlers(configuration: configuration, handler: Echo(),
                                          accessLog: NIOLockedValueBox([]), logger: logger,
                                          readsSimpleHeads: readsSimpleHeads)
        try channel.writeInbound(ByteBuffer(string: text))
        return (try channel.outboundText(), channel)
    }

    private static let paths = [true, false]

    /// llhttp knows HTTP/1.0 and 1.1 only, and only it knows where a body ends: a request line
    /// is not rewritten for it (RFC 9110 §6.2's reading of a higher minor version is a
    /// SHOULD), so the version is refused on both paths alike.
    @Test(arguments: paths)
    func aMinorVersionAbove1IsRefused(readsSimpleHeads: Bool) throws {
        for version in ["1.2", "1.9"] {
            let (response, _) = try Self.answer("GET /a HTTP/\(version)\r\nHost: t\r\n\r\n", readsSimpleHeads: readsSimpleHeads)
            #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(version)")
        }
    }

    /// A body is the client's bytes, whatever they look like: after a blank line in it, a
    /// line that reads like a request line with a version is not one.
    @Test(arguments: paths)
    func aBodyThatLooksLikeARequestLineArrivesAsSent(readsSimpleHeads: Bool) throws {
        let body = "a\r\n\r\nGET / HTTP/1.5\r\nx HTTP/1.2"
        let (response, _) = try Self.answer("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)",
                                            readsSimpleHeads: readsSimpleHeads)
        #expect(response.contains("body=[\(body)]"))
    }

    @Test(arguments: paths)
    func anotherMajorVersionIs505(readsSimpleHeads: Bool) throws {
        for version in ["2.0", "3.0", "0.9", "9.9"] {
            let (response, _) = try Self.answer("GET /a HTTP/\(version)\r\nHost: t\r\n\r\n", readsSimpleHeads: readsSimpleHeads)
            #expect(response.hasPrefix("HTTP/1.1 505 HTTP Version Not Supported\r\n"), "\(version)")
            #expect(response.contains("\r\nConnection: close\r\n"))
        }
        for version in ["1.10", "1.x", "2", "12.0"] {
            let (response, _) = try Self.answer("GET /a HTTP/\(version)\r\nHost: t\r\n\r\n", readsSimpleHeads: readsSimpleHeads)
            #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(version)")
        }
    }

    @Test(arguments: paths)
    func optionsAsteriskIs200WithAllow(readsSimpleHeads: Bool) throws {
        let (response, channel) = try Self.answer("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", readsSimpleHeads: readsSimpleHeads)
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("\r\nAllow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n"))
        #expect(response.contains("\r\nContent-Length: 0\r\n"))
        #expect(channel.isActive)
        for method in ["GET", "HEAD", "DELETE"] {
            let (refused, _) = try Self.answer("\(method) * HTTP/1.1\r\nHost: t\r\n\r\n", readsSimpleHeads: readsSimpleHeads)
            #expect(refused.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(method)")
        }
    }

    @Test(arguments: paths)
    func onlyATokenBeforeASpaceIsAnUnknownMethod(readsSimpleHeads: Bool) throws {
        for line in ["GET\t/a", "FROB\t/a", "\tGET /a", " GET /a", "G(T /a"] {
            let (response, _) = try Self.answer("\(line) HTTP/1.1\r\nHost: t\r\n\r\n", readsSimpleHeads: readsSimpleHeads)
            #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(line.debugDescription)")
        }
        // A line that ends after its method names no target: malformed, whatever the method.
        for line in ["FROB", "GET"] {
            let (response, _) = try Self.answer("\(line)\r\nHost: t\r\n\r\n", readsSimpleHeads: readsSimpleHeads)
            #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(line.debugDescription)")
        }
        let (response, _) = try Self.answer("FROB /a HTTP/1.1\r\nHost: t\r\n\r\n", readsSimpleHeads: readsSimpleHeads)
        #expect(response.hasPrefix("HTTP/1.1 501 Not Implemented\r\n"))
    }

    /// Review F5: a refused head whose read also held later requests should be judged on its
    /// own request line, not on the last one that read held. With the fast path on, the
    /// monitor hands the decoder a read's requests in one piece (apart only after a request
    /// long enough to be too large: cutting at every line that follows a blank one would cut
    /// a body of blank lines into as many pieces, `SimpleRequestPathTests`), so it judges
    /// by the read's last request line: a known issue, the status only (the connection
    /// closes after the refusal either way).
    @Test(arguments: paths)
    func aPipelinedRefusalIsJudgedOnItsOwnRequestLine(readsSimpleHeads: Bool) throws {
        let cases = [("G(T /a HTTP/1.1", "FROB /b HTTP/1.1", "400 Bad Request"),
                     ("FROB /a HTTP/1.1", "G(T /b HTTP/1.1", "501 Not Implemented"),
                     ("GET /a HTTP/2.0", "GET /b HTTP/1.1", "505 HTTP Version Not Supported"),
                     ("GET /a HTTP/1.x", "GET /b HTTP/2.0", "400 Bad Request")]
        for (refused, next, status) in cases {
            let (response, channel) = try Self.answer("\(refused)\r\nHost: t\r\n\r\n\(next)\r\nHost: t\r\n\r\n",
                                                      readsSimpleHeads: readsSimpleHeads)
            #expect(!channel.isActive, "closed after the refusal")
            withKnownIssue("F5: judged on the read's last request line", isIntermittent: false) {
                #expect(response.hasPrefix("HTTP/1.1 \(status)\r\n"), "\(refused) then \(next): \(response)")
            } when: {
                readsSimpleHeads
            }
        }
    }

    @Test(arguments: paths)
    func aHostPortMayHaveLeadingZeros(readsSimpleHeads: Bool) throws {
        let (response, _) = try Self.answer("GET /a HTTP/1.1\r\nHost: t:000080\r\n\r\n", readsSimpleHeads: readsSimpleHeads)
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
    }

    @Test(arguments: paths)
    func fieldValuesLoseTheWhitespaceAroundThem(readsSimpleHeads: Bool) throws {
        let (response, _) = try Self.answer("GET /a HTTP/1.1\r\nHost:\t t \t\r\nIf-None-Match: \"x\"\t\r\nRange: bytes=0-1 \r\nX: a\tb\r\n\r\n",
                                            readsSimpleHeads: readsSimpleHeads)
        #expect(response.contains("Host=[t];If-None-Match=[\"x\"];Range=[bytes=0-1];X=[a\tb]"))
    }

    @Test(arguments: paths)
    func closeWithWhitespaceAfterItCloses(readsSimpleHeads: Bool) throws {
        for value in ["close\t", "close \t", "\tkeep-alive, close\t"] {
            let (response, channel) = try Self.answer("GET /a HTTP/1.1\r\nHost: t\r\nConnection: \(value)\r\n\r\n",
                                                      readsSimpleHeads: readsSimpleHeads)
            #expect(response.contains("\r\nConnection: close\r\n"), "\(value.debugDescription)")
            #expect(!channel.isActive)
        }
    }

    /// llhttp takes no tab after a `Connection` token, and its parser refuses the bytes
    /// after a request it reads as closing the connection: the connection closes after the
    /// answer, which HTTP/1.0 allows, rather than refusing the next request.
    @Test(arguments: paths)
    func anHTTP10KeepAliveWithATabAfterItClosesAfterItsAnswer(readsSimpleHeads: Bool) throws {
        for value in ["keep-alive\t", "Keep-Alive\t,\tte"] {
            let (response, channel) = try Self.answer("GET /a HTTP/1.0\r\nConnection: \(value)\r\n\r\nGET /b HTTP/1.0\r\n\r\n",
                                                      readsSimpleHeads: readsSimpleHeads)
            #expect(response.hasPrefix("HTTP/1.0 200 OK\r\n") && response.contains("\r\nConnection: close\r\n"),
                    "\(value.debugDescription)")
            #expect(!response.contains("/b") && !response.contains(" 400 "))
            #expect(!channel.isActive)
        }
        // Without the tab, it stays open on either path.
        let (response, channel) = try Self.answer("GET /a HTTP/1.0\r\nConnection: Keep-Alive , te\r\n\r\n",
                                                  readsSimpleHeads: readsSimpleHeads)
        #expect(response.contains("\r\nConnection: keep-alive\r\n"))
        #expect(channel.isActive)
    }

    @Test(arguments: paths)
    func expectWithWhitespaceAfterItGets100Continue(readsSimpleHeads: Bool) throws {
        let (response, _) = try Self.answer("POST /a HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\t\r\nContent-Length: 1\r\n\r\n",
                                            readsSimpleHeads: readsSimpleHeads)
        #expect(response.hasPrefix("HTTP/1.1 100 Continue\r\n"))
    }

    /// llhttp's reading, which its parser acts on, not NIO's, which drops a tab after a
    /// token too.
    @Test func theDecoderStopsWhereLlhttpReadsAnUpgradeOffer() {
        func stops(_ fields: [(String, String)]) -> Bool {
            RequestLineMonitor.stopsDecoder(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/",
                                                            headers: HTTPHeaders([("Upgrade", "h2c")] + fields)))
        }
        #expect(stops([("Connection", "upgrade")]))
        #expect(stops([("Connection", "UPGRADE  ")]))
        #expect(stops([("Connection", "keep-alive,\t upgrade ,x")]))
        #expect(stops([("Proxy-Connection", "upgrade")]))
        #expect(!stops([("Connection", "upgrade\t")]))
        #expect(!stops([("Connection", "upgrade \t, x")]))
        #expect(!stops([("Connection", "upgrade2")]))
        #expect(!RequestLineMonitor.stopsDecoder(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/",
                                                                 headers: ["Connection": "upgrade"])))
    }

    @Test(arguments: paths)
    func aRequestAfterAnUpgradeOfferIsAnswered(readsSimpleHeads: Bool) throws {
        for connection in ["Connection: upgrade\t", "Proxy-Connection: upgrade", "Connection: upgrade"] {
            let (response, channel) = try Self.answer("GET /a HTTP/1.1\r\nHost: t\r\nUpgrade: h2c\r\n\(connection)\r\n\r\n"
                + "GET /b HTTP/1.1\r\nHost: t\r\n\r\n", readsSimpleHeads: readsSimpleHeads)
            // The stopped decoder is removed on the next turn of the loop.
            (channel.eventLoop as! EmbeddedEventLoop).run()
            let all = response + (try channel.outboundText())
            #expect(all.contains("HTTP/1.1 /a ") && all.contains("HTTP/1.1 /b "), "\(connection.debugDescription)")
        }
    }
}
