import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// The connection handler in the pipeline the server builds, on an `EmbeddedChannel`:
/// raw request bytes in, raw response bytes out, time advanced by hand.
@Suite struct HTTPConnectionHandlerTests {
    /// Answers "hello\n", or, on `/slow`, when the test completes `pending`.
    private final class Hello: HTTPHandler, @unchecked Sendable {
        var pending: EventLoopPromise<HTTPResponse>?
        var allowedMethods: [HTTPMethod]? { nil }

        func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
            guard request.path == "/slow" else { return .response(HTTPResponse(status: .ok, text: "hello\n")) }
            let promise = context.eventLoop.makePromise(of: HTTPResponse.self)
            pending = promise
            return .deferred(promise.futureResult)
        }
    }

    private let hello = Hello()
    private let loop = EmbeddedEventLoop()
    private let channel: EmbeddedChannel

    init() throws {
        var configuration = HTTPServerConfiguration()
        configuration.readHeaderTimeout = .seconds(1)
        configuration.idleTimeout = .seconds(5)
        configuration.drainGrace = .milliseconds(500)
        configuration.maxHeaderSize = 1024
        channel = EmbeddedChannel(loop: loop)
        // As HTTPServer builds it.
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = configuration.maxHeaderSize
        limits.maxHeaderListSize = configuration.maxHeaderSize
        let monitor = RequestLineMonitor()
        try channel.pipeline.syncOperations.addHandlers([
            monitor,
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes,
                                                    informationalResponseStrategy: .drop,
                                                    limitConfiguration: limits)),
            HTTPConnectionHandler(configuration: configuration,
                                  routes: RoutingTable(routes: [.init(path: "/", handler: hello)]),
                                  serverName: "test", monitor: monitor, accessLog: nil),
        ])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
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
        #expect(response.hasSuffix("Content-Length: 6\r\n\r\nhello\n"))
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

    @Test func oversizedHeadersOfAPipelinedRequestAre431() throws {
        try send("GET /a HTTP/1.1\r\n\r\nGET /\(String(repeating: "b", count: 900)) HTTP/1.1\r\n"
                 + "X-Big: \(String(repeating: "a", count: 200))\r\n\r\n")
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
    }
}
