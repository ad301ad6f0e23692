import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// A streamed body (`ResponseBodyStream`) through the connection handler on an
/// `EmbeddedChannel`, behind an outbound handler that holds the writes until the test lets
/// them reach the socket: back-pressure, framing, and the client going away.
@Suite struct HTTPConnectionStreamingTests {
    /// Gives out `pieces` one per `next()` (an empty string is an empty piece), then fails
    /// when `fails`, else ends.
    private final class PieceStream: ResponseBodyStream, @unchecked Sendable {
        var pieces: [String]
        let fails: Bool
        private(set) var nextCalls = 0
        private(set) var closeCalls = 0

        init(_ pieces: [String], fails: Bool = false) {
            self.pieces = pieces
            self.fails = fails
        }

        func next() throws -> ByteBuffer? {
            nextCalls += 1
            guard !pieces.isEmpty else {
                if fails { throw IOError(errnoCode: 5, reason: "pread") }
                return nil
            }
            return ByteBuffer(string: pieces.removeFirst())
        }

        func close() { closeCalls += 1 }

        /// At once, on the embedded loop, which only its own thread may touch.
        func nextPiece(on eventLoop: any EventLoop) -> EventLoopFuture<ByteBuffer?> {
            eventLoop.makeCompletedFuture { try next() }
        }
    }

    /// Answers every request with a streamed body from `makeStream`.
    private final class Streaming: HTTPHandler, @unchecked Sendable {
        var makeStream: () -> PieceStream = { PieceStream([]) }
        private(set) var streams: [PieceStream] = []
        var allowedMethods: [HTTPMethod]? { nil }

        func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
            let stream = makeStream()
            streams.append(stream)
            var response = HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"])
            response.stream = stream
            return .response(response)
        }
    }

    /// Holds every write (and its promise) until `release()`, as a socket whose buffer is full.
    private final class WriteGate: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = IOData
        private var held: [(NIOAny, EventLoopPromise<Void>?)] = []
        private var context: ChannelHandlerContext?

        func handlerAdded(context: ChannelHandlerContext) { self.context = context }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            held.append((data, promise))
        }

        func flush(context: ChannelHandlerContext) {}

        /// As a socket does, fails the writes it had not sent.
        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            let writes = held
            held = []
            for (_, promise) in writes { promise?.fail(ChannelError.ioOnClosedChannel) }
            context.close(mode: mode, promise: promise)
        }

        /// Lets the held writes through.
        func release() {
            guard let context else { return }
            let writes = held
            held = []
            for (data, promise) in writes { context.write(data, promise: promise) }
            context.flush()
        }
    }

    private let handler = Streaming()
    private let gate = WriteGate()
    private let loop = EmbeddedEventLoop()
    private let channel: EmbeddedChannel
    private let accessLog = NIOLockedValueBox<[AccessLogEntry]>([])

    init() throws {
        var configuration = HTTPServerConfiguration()
        configuration.writeTimeout = .seconds(2)
        configuration.readHeaderTimeout = .seconds(1)
        configuration.drainGrace = .milliseconds(500)
        channel = EmbeddedChannel(loop: loop)
        try channel.addConnectionHandlers(configuration: configuration, handler: handler, front: [gate],
                                          accessLog: accessLog, logger: Logger(label: "test"))
    }

    /// Lets the writes through and runs what they scheduled, `times` times over.
    private func deliver(times: Int = 1) {
        for _ in 0..<times {
            gate.release()
            loop.run()
        }
    }

    private func received() throws -> String {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { continue }
            text += String(buffer: buffer)
        }
        return text
    }

    @Test func aPieceIsMadeOnlyOnceThePreviousOneIsWritten() throws {
        handler.makeStream = { PieceStream(["first", "second", "third"]) }
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: test\r\n\r\n"))
        loop.run()
        let stream = try #require(handler.streams.first)
        #expect(stream.nextCalls == 1, "one piece in flight while the socket takes nothing")
        loop.run()
        #expect(stream.nextCalls == 1)
        deliver()
        #expect(stream.nextCalls == 2)
        deliver(times: 3)
        #expect(stream.nextCalls == 4)
        #expect(stream.closeCalls == 1)
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("Transfer-Encoding: chunked\r\n"))
        #expect(!response.contains("Content-Length"))
        #expect(response.hasSuffix("\r\n\r\n5\r\nfirst\r\n6\r\nsecond\r\n5\r\nthird\r\n0\r\n\r\n"))
        #expect(channel.isActive, "kept alive after a chunked response")
        #expect(accessLog.withLockedValue { $0.map(\.bytes) } == [16], "the body bytes written")
    }

    @Test func aPipelinedRequestIsAnsweredAfterTheStreamEnds() throws {
        handler.makeStream = { PieceStream(["one", "", "two"]) }
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: test\r\n\r\nGET /b HTTP/1.1\r\nHost: test\r\n\r\n"))
        loop.run()
        #expect(handler.streams.count == 1, "the second waits for the first's end")
        deliver(times: 8)
        #expect(handler.streams.count == 2)
        let response = try received()
        let answers = response.components(separatedBy: "HTTP/1.1 200 OK\r\n").filter { !$0.isEmpty }
        #expect(answers.count == 2)
        for answer in answers {
            #expect(answer.hasSuffix("\r\n\r\n3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n"), "\(answer)")
        }
    }

    @Test func aRequestQueuedBehindAStreamDuringADrainIsAnsweredAfterIt() throws {
        handler.makeStream = { PieceStream(Array(repeating: "piece", count: 4)) }
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: test\r\n\r\nGET /b HTTP/1.1\r\nHost: test\r\n\r\n"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        // Past the drain grace and the read-header timeout while the first body is stuck.
        loop.advanceTime(by: .milliseconds(1900))
        #expect(channel.isActive)
        deliver(times: 12)
        let answers = try received().components(separatedBy: "HTTP/1.1 200 OK\r\n").filter { !$0.isEmpty }
        #expect(answers.count == 2)
        #expect(answers.first.map { !$0.contains("Connection: close") } == true, "sent before the drain")
        #expect(answers.last?.contains("Connection: close\r\n") == true)
        #expect(answers.last?.hasSuffix("0\r\n\r\n") == true)
        #expect(!channel.isActive, "closed after the last answer")
    }

    @Test func theClientGoingAwayStopsAndClosesTheStream() throws {
        handler.makeStream = { PieceStream(Array(repeating: "piece", count: 100)) }
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: test\r\n\r\n"))
        deliver(times: 2)
        let stream = try #require(handler.streams.first)
        #expect(stream.nextCalls == 3)
        try channel.close().wait()
        loop.run()
        #expect(stream.closeCalls == 1)
        #expect(stream.nextCalls == 3, "nothing more is made")
        #expect(accessLog.withLockedValue { $0.map(\.bytes) } == [10], "two pieces reached the socket")
    }

    @Test func aStalledClientMeetsTheWriteTimeout() throws {
        handler.makeStream = { PieceStream(Array(repeating: "piece", count: 100)) }
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: test\r\n\r\n"))
        loop.advanceTime(by: .milliseconds(1500))
        deliver()
        loop.advanceTime(by: .milliseconds(1500))
        #expect(channel.isActive, "a written piece is progress")
        loop.advanceTime(by: .milliseconds(600))
        #expect(!channel.isActive)
        #expect(try #require(handler.streams.first).closeCalls == 1)
    }

    @Test func aFailingStreamEndsTheResponseUnfinished() throws {
        handler.makeStream = { PieceStream(["piece"], fails: true) }
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: test\r\n\r\n"))
        deliver(times: 3)
        #expect(!channel.isActive)
        #expect(try #require(handler.streams.first).closeCalls == 1)
        let response = try received()
        #expect(response.hasSuffix("5\r\npiece\r\n"), "no last chunk: the client sees the body cut")
    }

    @Test func anHTTP10ClientGetsTheBodyUpToTheClose() throws {
        handler.makeStream = { PieceStream(["one", "two"]) }
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
        deliver(times: 4)
        let response = try received()
        #expect(response.hasPrefix("HTTP/1.0 200 OK\r\n"))
        #expect(response.contains("Connection: close\r\n"))
        #expect(!response.contains("Transfer-Encoding") && !response.contains("Content-Length"))
        #expect(response.hasSuffix("\r\n\r\nonetwo"))
        #expect(!channel.isActive)
    }

    @Test func headMakesNothingOfTheStream() throws {
        try channel.writeInbound(ByteBuffer(string: "HEAD /a HTTP/1.1\r\nHost: test\r\n\r\n"))
        deliver()
        let stream = try #require(handler.streams.first)
        #expect(stream.nextCalls == 0)
        #expect(stream.closeCalls == 1)
        let response = try received()
        #expect(response.contains("Transfer-Encoding: chunked\r\n"), "the headers of GET")
        #expect(!response.contains("Content-Length"))
        #expect(response.hasSuffix("\r\n\r\n"))
        #expect(channel.isActive)
    }
}
