import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// The connection handler in the pipeline the server builds, on an `EmbeddedChannel`:
/// raw request bytes in, raw response bytes out, time advanced by hand.
@Suite struct HTTPConnectionHandlerTests {
    /// Answers "hello\n"; on `/slow`, when the test completes `pending`; on `/bad-header`,
    /// with a header value that would split the response.
    private final class Hello: HTTPHandler, @unchecked Sendable {
        var pending: EventLoopPromise<HTTPResponse>?
        var allowedMethods: [HTTPMethod]? { nil }

        func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
            switch request.path {
            case "/slow":
                let promise = context.eventLoop.makePromise(of: HTTPResponse.self)
                pending = promise
                return .deferred(promise.futureResult)
            case "/bad-header":
                return .response(HTTPResponse(status: .ok, headers: ["X-A": "a\r\nSet-Cookie: x=1"], text: "bad\n"))
            default:
                return .response(HTTPResponse(status: .ok, text: "hello \(request.head.uri)\n"))
            }
        }
    }

    private let hello = Hello()
    private let loop = EmbeddedEventLoop()
    private let channel: EmbeddedChannel
    private let logMessages: RecordingLogHandler.Messages
    private let accessLog = NIOLockedValueBox<[AccessLogEntry]>([])

    init() throws {
        var configuration = HTTPServerConfiguration()
        configuration.readHeaderTimeout = .seconds(1)
        configuration.idleTimeout = .seconds(5)
        configuration.drainGrace = .milliseconds(500)
        configuration.maxHeaderSize = 1024
        configuration.readBodyTimeout = .seconds(3)
        channel = EmbeddedChannel(loop: loop)
        let (logger, messages) = RecordingLogHandler.logger()
        logMessages = messages
        try channel.addConnectionHandlers(configuration: configuration, handler: hello, accessLog: accessLog,
                                          logger: logger)
    }

    private func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything written to the socket so far.
    private func received() throws -> String {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { continue }
            text += String(buffer: buffer)
        }
        return text
    }

    private func drain() {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }

    @Test func answersAKeepAliveRequestAndStaysOpen() throws {
        try send("GET /a HTTP/1.1\r\nHost: test\r\n\r\n")
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.hasSuffix("Content-Length: 9\r\n\r\nhello /a\n"))
        #expect(!response.lowercased().contains("connection:"))
        loop.advanceTime(by: .milliseconds(4900))
        #expect(channel.isActive)
    }

    @Test func eachRequestRestartsTheIdleTimeout() throws {
        for _ in 0..<3 {
            try send("GET /a HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try received().hasPrefix("HTTP/1.1 200 OK\r\n"))
            loop.advanceTime(by: .milliseconds(4000))
            #expect(channel.isActive)
        }
        loop.advanceTime(by: .milliseconds(999))
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    @Test func idleConnectionClosesWhenTheDrainGraceEnds() throws {
        try send("GET /a HTTP/1.1\r\nHost: test\r\n\r\n")
        _ = try received()
        loop.advanceTime(by: .seconds(1))
        drain()
        loop.advanceTime(by: .milliseconds(499))
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
        #expect(try received() == "", "closed without a word")
    }

    @Test func requestWithinTheDrainGraceIsAnsweredWithConnectionClose() throws {
        drain()
        loop.advanceTime(by: .milliseconds(300))
        try send("GET /a HTTP/1.1\r\nHost: test\r\n\r\n")
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("Connection: close\r\n"))
        #expect(!channel.isActive)
    }

    @Test func requestBeingReadWhenTheDrainStartsIsAnsweredWithConnectionClose() throws {
        try send("POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\n\r\nabc")
        drain()
        loop.advanceTime(by: .seconds(1))
        #expect(channel.isActive, "the grace is only for idle connections")
        try send("def")
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("Connection: close\r\n"))
        #expect(!channel.isActive)
    }

    @Test func responseBeingProducedWhenTheDrainStartsCarriesConnectionClose() throws {
        try send("GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        let pending = try #require(hello.pending)
        drain()
        loop.advanceTime(by: .seconds(1))
        #expect(channel.isActive)
        #expect(try received() == "")
        pending.succeed(HTTPResponse(status: .ok, text: "late\n"))
        loop.run()
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("Connection: close\r\n"))
        #expect(response.hasSuffix("\r\n\r\nlate\n"))
        #expect(!channel.isActive)
    }

    @Test func headersSentTooSlowlyCloseTheConnection() throws {
        try send("GET /a HTTP/1.1\r\n")
        loop.advanceTime(by: .milliseconds(999))
        try send("Host: test\r\n")
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    @Test func oversizedHeadersInOneReadAre431() throws {
        try send("GET /a HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 1100))\r\n\r\n")
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        #expect(!channel.isActive)
    }

    @Test func oversizedRequestLineIs414() throws {
        try send("GET /\(String(repeating: "a", count: 1100)) HTTP/1.1\r\n\r\n")
        #expect(try received().hasPrefix("HTTP/1.1 414 URI Too Long\r\n"))
        #expect(!channel.isActive)
    }

    /// The next request came in the same read: the 414 is still judged by the refused
    /// head's own request line (it was 431, by the next one's).
    @Test func anOversizedRequestLineFollowedByAnotherRequestIs414() throws {
        try send("GET /\(String(repeating: "a", count: 1100)) HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nHost: test\r\n\r\n")
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 414 URI Too Long\r\n"), "\(response.prefix(60))")
    }

    /// The decoder refuses a head while an earlier request is still unanswered, and more
    /// bytes come after (which the stopped decoder drops, reporting them as an error of its
    /// own): the earlier request is still answered, then the refusal, then the close. The
    /// connection was closed at those bytes, with every answer still due (500 pipelined
    /// requests before a 20,000-byte request line: 210 lost, and no 414).
    @Test func bytesAfterARefusedHeadCutNoAnswerShort() throws {
        try send("GET /slow HTTP/1.1\r\nHost: test\r\n\r\nGET /\(String(repeating: "a", count: 1100))")
        try send(" HTTP/1.1\r\nHost: test\r\n\r\nGET /b HTTP/1.1\r\n")
        #expect(channel.isActive)
        try #require(hello.pending).succeed(HTTPResponse(status: .ok, text: "slow\n"))
        loop.run()
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n") && response.contains("\r\n\r\nslow\nHTTP/1.1 414 URI Too Long\r\n"),
                "\(response)")
        #expect(!channel.isActive)
    }

    @Test func oversizedHeadersOfAPipelinedRequestAre431() throws {
        try send("GET /a HTTP/1.1\r\nHost: test\r\n\r\nGET /\(String(repeating: "b", count: 900)) HTTP/1.1\r\n"
                 + "X-Big: \(String(repeating: "a", count: 200))\r\n\r\n")
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
    }

    // MARK: - Every request received is answered, in order

    @Test func pipelinedDeferredRequestsAreAllAnsweredAfterAHalfClose() throws {
        try send("GET /slow HTTP/1.1\r\nHost: test\r\n\r\nGET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        let first = try #require(hello.pending)
        first.succeed(HTTPResponse(status: .ok, text: "one\n"))
        loop.run()
        let second = try #require(hello.pending)
        #expect(second.futureResult !== first.futureResult, "the second request reached the handler")
        second.succeed(HTTPResponse(status: .ok, text: "two\n"))
        loop.run()
        let response = try received()
        #expect(response.contains("\r\n\r\none\nHTTP/1.1 200 OK\r\n"))
        #expect(response.hasSuffix("\r\n\r\ntwo\n"))
        #expect(!channel.isActive)
    }

    @Test func aMalformedRequestAfterADeferredOneIsRefusedInItsTurn() throws {
        try send("GET /slow HTTP/1.1\r\nHost: test\r\n\r\nGET /x HTTP/1.1\r\nno colon here\r\n\r\n")
        #expect(channel.isActive)
        try #require(hello.pending).succeed(HTTPResponse(status: .ok, text: "slow\n"))
        loop.run()
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("\r\n\r\nslow\nHTTP/1.1 400 Bad Request\r\n"))
    }

    // MARK: - Response headers

    @Test func aHeaderThatWouldSplitTheResponseIs500AndLogged() throws {
        try send("GET /bad-header HTTP/1.1\r\nHost: test\r\n\r\n")
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
        #expect(!response.contains("Set-Cookie"))
        #expect(logMessages.all.contains { $0.contains("invalid response header \"X-A\"") })
        #expect(channel.isActive, "a handler's mistake does not cost the client its connection")
    }

    // MARK: - Message framing (RFC 9112)

    @Test(arguments: ["chunked, gzip", "chunked\r\nTransfer-Encoding: gzip", "", "chunked, chunked"])
    func transferCodingsThatHideTheBodysEndAre400(_ codings: String) throws {
        try send("POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: \(codings)\r\n\r\n0\r\n\r\n")
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(response.contains("Connection: close\r\n"))
    }

    @Test func aTransferCodingOtherThanChunkedIs501() throws {
        try send("POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
        #expect(try received().hasPrefix("HTTP/1.1 501 Not Implemented\r\n"))
    }

    @Test func aChunkedHTTP10RequestClosesTheConnectionAfterItsResponse() throws {
        try send("POST /a HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.0 200 OK\r\n"))
        #expect(response.contains("Connection: close\r\n"))
        #expect(!channel.isActive)
    }

    @Test(arguments: ["", "Host: a\r\nHost: b\r\n", "Host: a, b\r\n"])
    func anHTTP11RequestNeedsExactlyOneHost(_ hosts: String) throws {
        try send("GET /a HTTP/1.1\r\n\(hosts)\r\n")
        #expect(try received().hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
    }

    @Test func anHTTP10RequestMayComeWithoutHost() throws {
        try send("GET /a HTTP/1.0\r\n\r\n")
        #expect(try received().hasPrefix("HTTP/1.0 200 OK\r\n"))
    }

    // MARK: - Slow bodies and the access log of refusals

    @Test func aBodyThatTricklesInIsCutOffAtTheBodyTimeout() throws {
        try send("POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n")
        for _ in 0..<5 {
            loop.advanceTime(by: .milliseconds(590))
            try send("x")
        }
        #expect(channel.isActive, "each byte came well within the idle timeout")
        loop.advanceTime(by: .milliseconds(50))
        #expect(!channel.isActive)
    }

    @Test func aRefusedRequestIsLoggedWithTheMethodAndTargetItHad() throws {
        try send("PUT /x?a=1 HTTP/1.1\r\nno colon here\r\n\r\n")
        #expect(try received().hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        let entry = try #require(accessLog.withLockedValue { $0.last })
        #expect(entry.method == .PUT)
        #expect(entry.target == "/x?a=1")
        #expect(entry.status == 400)
    }

    @Test func aRefusedRequestWithoutATargetIsLoggedWithADash() throws {
        try send("GET\r\n\r\n")
        let response = try received()
        let entry = try #require(accessLog.withLockedValue { $0.last })
        #expect(response.hasPrefix("HTTP/1.1 \(entry.status) "))
        #expect(entry.status >= 400)
        #expect(entry.method == .GET)
        #expect(entry.target == "-")
    }
}
