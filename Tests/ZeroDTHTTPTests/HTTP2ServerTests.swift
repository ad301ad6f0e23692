import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// The server's HTTP/2 connection pipeline (nio-http2 as the server configures it, and
/// `HTTP2ConnectionHandler`) on an `EmbeddedChannel`: raw frames in, raw frames out. Routes,
/// the drain, the limits and the flood defences.
@Suite struct HTTP2ServerTests {
    /// Answers "hello"; on `/slow`, once the test completes `pending`; on `/big`, with a body
    /// larger than a stream's initial flow-control window.
    private final class Hello: HTTPHandler, @unchecked Sendable {
        static let bigBody = String(repeating: "x", count: 100_000)
        var pending: [EventLoopPromise<HTTPResponse>] = []
        var allowedMethods: [HTTPMethod]? { nil }

        func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
            if request.path == "/big" { return .response(HTTPResponse(status: .ok, text: Self.bigBody)) }
            guard request.path == "/slow" else { return .response(HTTPResponse(status: .ok, text: "hello\n")) }
            let promise = context.eventLoop.makePromise(of: HTTPResponse.self)
            pending.append(promise)
            return .deferred(promise.futureResult)
        }
    }

    /// Does what a socket channel does with writes and `EmbeddedChannel` does not: a write
    /// that has not been flushed when the channel closes never goes out; and while the peer
    /// reads nothing (`stalled`), flushed writes wait too.
    private final class UnflushedWritesDiscardedOnClose: ChannelOutboundHandler {
        typealias OutboundIn = NIOAny
        private var pending: [(NIOAny, EventLoopPromise<Void>?)] = []
        var stalled = false

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            pending.append((data, promise))
        }

        func flush(context: ChannelHandlerContext) {
            guard !stalled else { return }
            for (data, promise) in pending { context.write(data, promise: promise) }
            pending = []
            context.flush()
        }

        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            for (_, promise) in pending { promise?.fail(ChannelError.ioOnClosedChannel) }
            pending = []
            context.close(mode: mode, promise: promise)
        }
    }

    private static let enhanceYourCalm: UInt32 = 0xB
    private static let refusedStream: UInt32 = 0x7
    private static let protocolError: UInt32 = 0x1
    private static let cancel: UInt32 = 0x8

    private let hello = Hello()
    private let socket = UnflushedWritesDiscardedOnClose()
    private let loop = EmbeddedEventLoop()
    private let channel: EmbeddedChannel

    init(configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws {
        channel = EmbeddedChannel(handler: socket, loop: loop)
        let hosts = VirtualHosts(VirtualServer(name: "test", routes: RoutingTable(routes: [.init(path: "/", handler: hello)])))
        try HTTP2Frames.startServer(on: channel, hosts: hosts, configuration: HTTP2Frames.configuration(configure))
    }

    /// Sends `frames` in one read. The errors nio-http2 reports (a reset stream, a broken
    /// connection) reach the end of the pipeline, where `EmbeddedChannel` would rethrow them;
    /// what the client sees is in the frames, so they are dropped here.
    private func send(_ frames: ByteBuffer...) throws {
        var all = ByteBuffer()
        for var frame in frames { all.writeBuffer(&frame) }
        _ = try? channel.writeInbound(all)
        try? channel.throwIfErrorCaught()
    }

    /// The frames written since the last call.
    private func received() throws -> [HTTP2Frames.Received] {
        try HTTP2Frames.received(on: channel)
    }

    /// Starts the drain and answers its probe: what follows (the first GOAWAY, the answers
    /// held meanwhile, the drain's PING).
    private func drainAnsweringTheProbe() throws -> [HTTP2Frames.Received] {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try send(HTTP2Frames.pingAnswer(in: try received()))
        return try received()
    }

    private func body(of frames: [HTTP2Frames.Received], stream: UInt32) -> String {
        frames.filter { $0.stream == stream && $0.kind == HTTP2Frames.Kind.data.rawValue }
            .map { String(buffer: $0.payload) }.joined()
    }

    @Test func aStreamGoesThroughTheRoutesAndEndsWithItsLastFrame() throws {
        try send(HTTP2Frames.get("/hi", stream: 1))
        let frames = try received().filter { $0.stream == 1 }
        #expect(frames.map(\.kind) == [HTTP2Frames.Kind.headers.rawValue, HTTP2Frames.Kind.data.rawValue])
        #expect(body(of: frames, stream: 1) == "hello\n")
        // END_STREAM on the DATA frame with the body, not on an empty frame after it.
        #expect(frames.last?.flags == HTTP2Frames.endStream)
    }

    /// RFC 9113 §8.3.1: `host` may stand in for `:authority`; a `host` that differs from
    /// `:authority`, an empty authority, or a `:path` that is not origin-form make the
    /// request malformed.
    @Test(arguments: [
        ([0x82, 0x87] + HTTP2Frames.literal(nameIndex: 4, "/x") + HTTP2Frames.literal(name: "host", "test"), "200"),
        (HTTP2Frames.requestBlock(path: "/x", extra: HTTP2Frames.literal(name: "host", "Test ")), "200"),
        (HTTP2Frames.requestBlock(path: "/x", extra: HTTP2Frames.literal(name: "host", "other")), "400"),
        (HTTP2Frames.requestBlock(path: "/x", extra: HTTP2Frames.literal(name: "host", "")), "400"),
        ([0x82, 0x87] + HTTP2Frames.literal(nameIndex: 4, "/x") + HTTP2Frames.literal(nameIndex: 1, ""), "400"),
        ([0x82, 0x87] + HTTP2Frames.literal(nameIndex: 4, "/x"), "400"),
        (HTTP2Frames.requestBlock(path: "http://test/x"), "400"),
        (HTTP2Frames.requestBlock(path: "*"), "400"),
    ] as [([UInt8], String)])
    func theHostIsAuthorityOrHostAndTheyMustAgree(_ block: [UInt8], _ status: String) throws {
        try send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endHeaders | HTTP2Frames.endStream, stream: 1,
                                   payload: block))
        let frames = try received().filter { $0.stream == 1 }
        #expect(frames.first?.status == status, "\(frames)")
    }

    /// `OPTIONS *` asks about the server (RFC 9110 §9.3.7), as over HTTP/1.
    @Test func optionsAsteriskIsAnsweredWithAllow() throws {
        let block = HTTP2Frames.literal(nameIndex: 2, "OPTIONS") + [0x87] + HTTP2Frames.literal(nameIndex: 4, "*")
            + HTTP2Frames.literal(nameIndex: 1, "test")
        try send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endHeaders | HTTP2Frames.endStream, stream: 1,
                                   payload: block))
        let frames = try received().filter { $0.stream == 1 }
        #expect(frames.first?.status == "200", "\(frames)")
        #expect(body(of: frames, stream: 1).isEmpty)
    }

    /// RFC 9113 §8.2 and §8.3: a malformed request (checked by nio-http2, as the server
    /// configures it) ends its stream with RST_STREAM PROTOCOL_ERROR and never reaches a
    /// handler (`/slow` would leave a pending answer); the connection and its other streams
    /// go on.
    @Test(arguments: [
        HTTP2Frames.requestBlock(path: "/slow", extra: HTTP2Frames.literal(name: "connection", "x")),
        HTTP2Frames.requestBlock(path: "/slow", extra: HTTP2Frames.literal(name: "keep-alive", "5")),
        HTTP2Frames.requestBlock(path: "/slow", extra: HTTP2Frames.literal(name: "te", "gzip")),
        HTTP2Frames.requestBlock(path: "/slow", extra: HTTP2Frames.literal(name: "X-Upper", "1")),
        HTTP2Frames.requestBlock(path: "/slow", extra: HTTP2Frames.literal(name: "x-crlf", "a\r\nb: c")),
        HTTP2Frames.requestBlock(path: "/slow", extra: HTTP2Frames.literal(name: "x-nul", "a\u{0}b")),
        // A scheme this server does not serve (6: `:scheme`).
        [0x82] + HTTP2Frames.literal(nameIndex: 6, "ftp") + HTTP2Frames.literal(nameIndex: 4, "/slow")
            + HTTP2Frames.literal(nameIndex: 1, "test"),
    ])
    func aMalformedHeaderBlockResetsTheStreamBeforeAnyHandler(_ block: [UInt8]) throws {
        try send(HTTP2Frames.get("/slow", stream: 1),
                 HTTP2Frames.frame(.headers, flags: HTTP2Frames.endHeaders | HTTP2Frames.endStream, stream: 3,
                                   payload: block))
        #expect(hello.pending.count == 1, "only the well-formed request reaches the handler")
        let frames = try received()
        #expect(frames.compactMap(\.resetCode) == [Self.protocolError], "\(frames)")
        #expect(frames.first { $0.resetCode != nil }?.stream == 3)
        // The stream already open is unharmed, and new ones are served.
        #expect(channel.isActive)
        hello.pending.first?.succeed(HTTPResponse(status: .ok, text: "slow\n"))
        try send(HTTP2Frames.get("/hi", stream: 5))
        let later = try received()
        #expect(body(of: later, stream: 1) == "slow\n")
        #expect(body(of: later, stream: 5) == "hello\n")
    }

    /// A CONNECT (`:method` and `:authority` alone) gets what HTTP/1's authority form gets,
    /// a 400, not a reset stream; the connection goes on.
    @Test func aConnectIsAnsweredAsOverHTTP1() throws {
        let block = HTTP2Frames.literal(nameIndex: 2, "CONNECT") + HTTP2Frames.literal(nameIndex: 1, "test:443")
        try send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endHeaders | HTTP2Frames.endStream, stream: 1,
                                   payload: block))
        let frames = try received()
        #expect(frames.compactMap(\.resetCode).isEmpty, "\(frames)")
        #expect(body(of: frames, stream: 1) == "400 Bad Request\n")
        try send(HTTP2Frames.get("/hi", stream: 3))
        #expect(body(of: try received(), stream: 3) == "hello\n")
    }

    @Test func aBodyShorterThanItsContentLengthResetsTheStreamBeforeAnyHandler() throws {
        let block = HTTP2Frames.requestBlock(path: "/slow", post: true,
                                             extra: HTTP2Frames.literal(name: "content-length", "5"))
        try send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endHeaders, stream: 1, payload: block),
                 HTTP2Frames.frame(.data, flags: HTTP2Frames.endStream, stream: 1, payload: Array("abc".utf8)))
        #expect(hello.pending.isEmpty)
        let frames = try received()
        #expect(frames.filter { $0.stream == 1 }.compactMap(\.resetCode) == [Self.protocolError], "\(frames)")
        try send(HTTP2Frames.get("/hi", stream: 3))
        #expect(body(of: try received(), stream: 3) == "hello\n")
    }

    @Test func aClientThatExpects100ContinueGetsItBeforeSendingItsBody() throws {
        let block = HTTP2Frames.requestBlock(path: "/hi", extra: HTTP2Frames.literal(name: "expect", "100-continue"))
        try send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endHeaders, stream: 1, payload: block))
        let interim = try received().filter { $0.stream == 1 }
        #expect(interim.map(\.kind) == [HTTP2Frames.Kind.headers.rawValue])
        #expect(interim.first?.flags == HTTP2Frames.endHeaders)
        try send(HTTP2Frames.frame(.data, flags: HTTP2Frames.endStream, stream: 1, payload: Array("body".utf8)))
        #expect(body(of: try received(), stream: 1) == "hello\n")
    }

    /// The drain's probe: a PING after the answers so far, then nothing until its answer,
    /// so that the client has sent what those answers prompted before it sees the GOAWAY;
    /// an answer made meanwhile follows the GOAWAY.
    @Test func aDrainProbesFirstAndHoldsNewAnswersBehindTheGoAway() throws {
        try send(HTTP2Frames.get("/hi", stream: 1))
        #expect(body(of: try received(), stream: 1) == "hello\n")
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        let probe = try received()
        #expect(probe.map(\.kind) == [HTTP2Frames.Kind.ping.rawValue], "\(probe)")
        try send(HTTP2Frames.get("/hi", stream: 3))
        #expect(try received().isEmpty, "held")
        try send(HTTP2Frames.pingAnswer(in: probe))
        let released = try received()
        let goAway = try #require(released.firstIndex { $0.goAway != nil })
        let answer = try #require(released.firstIndex { $0.stream == 3 })
        #expect(goAway < answer, "\(released)")
        #expect(released[goAway].goAway?.lastStreamID == 0x7FFF_FFFF)
        #expect(body(of: released, stream: 3) == "hello\n")
        try send(HTTP2Frames.pingAnswer(in: released))
        let last = try received()
        #expect(last.compactMap(\.goAway).map(\.lastStreamID) == [3])
        try HTTP2Frames.expectClosedOnceTheFinalPingIsAnswered(channel, after: last)
    }

    @Test func aDrainAnnouncesWithGoAwayAndPingServesStreamsOnTheWireAndClosesAfterTheLast() throws {
        try send(HTTP2Frames.get("/slow", stream: 1))
        let announced = try drainAnsweringTheProbe()
        #expect(announced.compactMap(\.goAway).map(\.lastStreamID) == [0x7FFF_FFFF])
        let ping = try #require(announced.first { $0.kind == HTTP2Frames.Kind.ping.rawValue })
        // A stream the client opened before it saw the first GOAWAY is served, and a
        // WINDOW_UPDATE meanwhile is no error (nio-http2 never sees the GOAWAY frames).
        try send(HTTP2Frames.get("/hi", stream: 3),
                 HTTP2Frames.frame(.windowUpdate, payload: [0, 0, 0x10, 0]))
        let answered = try received()
        #expect(body(of: answered, stream: 3) == "hello\n")
        #expect(answered.compactMap(\.goAway).isEmpty && answered.compactMap(\.resetCode).isEmpty)
        try send(HTTP2Frames.frame(.ping, flags: HTTP2Frames.ack, payload: Array(ping.payload.readableBytesView)))
        #expect(try received().isEmpty)
        #expect(channel.isActive)
        hello.pending.first?.succeed(HTTPResponse(status: .ok, text: "slow\n"))
        let last = try received()
        #expect(body(of: last, stream: 1) == "slow\n")
        #expect(last.compactMap(\.goAway).map(\.lastStreamID) == [3])
        try HTTP2Frames.expectClosedOnceTheFinalPingIsAnswered(channel, after: last)
    }

    /// The last stream ends before the PING's answer, and the client sends a WINDOW_UPDATE
    /// (it is still reading) with that answer: no error. nio-http2, had it sent the first
    /// GOAWAY itself, would count the connection finished and answer with GOAWAY
    /// PROTOCOL_ERROR, failing whatever the client had open.
    @Test func framesAfterTheLastStreamEndedBeforeThePingsAnswerAreNoError() throws {
        try send(HTTP2Frames.get("/slow", stream: 1))
        let ping = try #require(try drainAnsweringTheProbe().first { $0.kind == HTTP2Frames.Kind.ping.rawValue })
        hello.pending.first?.succeed(HTTPResponse(status: .ok, text: "slow\n"))
        #expect(body(of: try received(), stream: 1) == "slow\n")
        try send(HTTP2Frames.frame(.windowUpdate, payload: [0, 0, 0x10, 0]),
                 HTTP2Frames.frame(.ping, flags: HTTP2Frames.ack, payload: Array(ping.payload.readableBytesView)))
        let last = try received()
        #expect(last.compactMap(\.goAway).map(\.lastStreamID) == [1])
        #expect(last.compactMap(\.goAway).allSatisfy { $0.code == 0 }, "\(last.compactMap(\.goAway))")
        try HTTP2Frames.expectClosedOnceTheFinalPingIsAnswered(channel, after: last)
    }

    /// Once the final GOAWAY is decided, what the client sends is dropped, but for the answer
    /// to the final PING: a late WINDOW_UPDATE is no error, a stream it opens is not served,
    /// and a PING of its own is not answered (an answer would count as progress).
    @Test func framesAfterTheFinalGoAwayAreDroppedWithoutAnError() throws {
        try send(HTTP2Frames.get("/slow", stream: 1))
        let ping = try #require(try drainAnsweringTheProbe().first { $0.kind == HTTP2Frames.Kind.ping.rawValue })
        try send(HTTP2Frames.frame(.ping, flags: HTTP2Frames.ack, payload: Array(ping.payload.readableBytesView)))
        hello.pending.first?.succeed(HTTPResponse(status: .ok, text: "slow\n"))
        // The final GOAWAY is decided; it goes out on the loop's next turn.
        try send(HTTP2Frames.frame(.windowUpdate, payload: [0, 0, 0x10, 0]), HTTP2Frames.get("/hi", stream: 3))
        let last = try received()
        #expect(body(of: last, stream: 1) == "slow\n")
        #expect(body(of: last, stream: 3).isEmpty)
        #expect(last.compactMap(\.goAway).map(\.lastStreamID) == [1])
        #expect(last.compactMap(\.goAway).allSatisfy { $0.code == 0 })
        try send(HTTP2Frames.ping(7), HTTP2Frames.get("/hi", stream: 5))
        #expect(try received().isEmpty)
        try HTTP2Frames.expectClosedOnceTheFinalPingIsAnswered(channel, after: last)
    }

    /// The answer to the final PING may come in pieces, among other frames: it is found
    /// all the same, and only it closes the connection.
    @Test func theFinalPingsAnswerIsFoundAmongOtherFramesAndSplitReads() throws {
        try send(HTTP2Frames.get("/hi", stream: 1))
        _ = try received()
        loop.advanceTime(by: .seconds(5))
        #expect(try received().compactMap(\.goAway).map(\.lastStreamID) == [1], "idle")
        var bytes = HTTP2Frames.frame(.windowUpdate, payload: [0, 0, 0x10, 0])
        bytes.writeImmutableBuffer(HTTP2Frames.ping(HTTP2ConnectionStateMachine.probePing.integer, ack: true))
        bytes.writeImmutableBuffer(HTTP2Frames.finalPingAnswer)
        while bytes.readableBytes > 5, let piece = bytes.readSlice(length: 5) {
            try send(piece)
            #expect(channel.isActive)
        }
        try send(bytes)
        #expect(!channel.isActive)
    }

    /// A client that never answers the final PING, and takes nothing more, is given the write
    /// timeout, and then closed.
    @Test func aClientThatNeverAnswersTheFinalPingIsClosedAtTheWriteTimeout() throws {
        try send(HTTP2Frames.get("/hi", stream: 1))
        _ = try received()
        loop.advanceTime(by: .seconds(5))
        #expect(try received().compactMap(\.goAway).map(\.lastStreamID) == [1], "idle")
        loop.advanceTime(by: TimeAmount(HTTPServerConfiguration().writeTimeout) - .milliseconds(1))
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    /// A client that vanished after the final GOAWAY (the kernel's retransmissions of it go
    /// unanswered) is not waited for until the write timeout: the next look at the socket
    /// closes it.
    @Test func aClientGoneAfterTheFinalGoAwayIsClosedWithoutWaitingForItsAnswer() throws {
        let connection = try channel.pipeline.syncOperations.handler(type: HTTP2ConnectionHandler.self)
        let gone = NIOLockedValueBox(false)
        connection.clientIsGone = { channel in channel.eventLoop.makeSucceededFuture(gone.withLockedValue { $0 }) }
        try send(HTTP2Frames.get("/hi", stream: 1))
        _ = try received()
        loop.advanceTime(by: .seconds(5))
        #expect(try received().compactMap(\.goAway).map(\.lastStreamID) == [1], "idle")
        loop.advanceTime(by: .seconds(2))
        #expect(channel.isActive, "a client that is still there is waited for")
        // Some of the last answer is still NIO's to write: the write timeout judges it.
        let socketSide = try channel.pipeline.syncOperations.context(handler: socket)
        socketSide.write(NIOAny(ByteBuffer(string: "end of an answer")), promise: nil)
        gone.withLockedValue { $0 = true }
        loop.advanceTime(by: LingeringClose.longestCheckInterval * 2)
        #expect(channel.isActive, "NIO still holds bytes for it")
        socketSide.flush()
        loop.advanceTime(by: LingeringClose.longestCheckInterval)
        #expect(!channel.isActive)
    }

    /// The drain is answered while a request body is still coming: the stream is read to its
    /// end and answered, and only then do the final GOAWAY and the close follow, in that order
    /// (the answer is written from inside nio-http2's write of the stream's end, where a close
    /// would throw away what is not flushed yet).
    @Test func aDrainReadsAnUploadInFlightToItsEndThenAnswersAndCloses() throws {
        try send(HTTP2Frames.postHead("/hi", stream: 1),
                 HTTP2Frames.frame(.data, stream: 1, payload: Array(repeating: 1, count: 1000)))
        let ping = try #require(try drainAnsweringTheProbe().first { $0.kind == HTTP2Frames.Kind.ping.rawValue })
        try send(HTTP2Frames.frame(.ping, flags: HTTP2Frames.ack, payload: Array(ping.payload.readableBytesView)))
        loop.advanceTime(by: .seconds(1))
        try send(HTTP2Frames.frame(.data, stream: 1, payload: Array(repeating: 2, count: 1000)))
        #expect(channel.isActive)
        #expect(try received().allSatisfy { $0.stream != 1 || $0.kind == HTTP2Frames.Kind.windowUpdate.rawValue })
        try send(HTTP2Frames.frame(.data, flags: HTTP2Frames.endStream, stream: 1, payload: Array("end".utf8)))
        loop.run()
        let last = try received().filter { $0.kind != HTTP2Frames.Kind.windowUpdate.rawValue }
        #expect(body(of: last, stream: 1) == "hello\n")
        #expect(last.map(\.kind) == [HTTP2Frames.Kind.headers.rawValue, HTTP2Frames.Kind.data.rawValue,
                                     HTTP2Frames.Kind.goAway.rawValue, HTTP2Frames.Kind.ping.rawValue], "\(last)")
        #expect(last.compactMap(\.goAway).map(\.lastStreamID) == [1])
        try HTTP2Frames.expectClosedOnceTheFinalPingIsAnswered(channel, after: last)
    }

    /// An answer that comes before the request's body is all in (here a 413) ends the stream
    /// with RST_STREAM NO_ERROR, which asks the client to stop sending without failing the
    /// answer; the connection goes on serving.
    @Test func anEarlyAnswerToAnUploadEndsTheStreamWithoutErrorAndTheConnectionGoesOn() throws {
        let server = try HTTP2ServerTests { $0.maxBodySize = 100 }
        try server.send(HTTP2Frames.postHead("/hi", stream: 1),
                        HTTP2Frames.frame(.data, stream: 1, payload: Array(repeating: 1, count: 1000)))
        let frames = try server.received().filter { $0.stream == 1 && $0.kind != HTTP2Frames.Kind.windowUpdate.rawValue }
        #expect(frames.map(\.kind) == [HTTP2Frames.Kind.headers.rawValue, HTTP2Frames.Kind.data.rawValue,
                                       HTTP2Frames.Kind.rstStream.rawValue], "\(frames)")
        #expect(server.body(of: frames, stream: 1) == "413 Payload Too Large\n")
        #expect(frames.compactMap(\.resetCode) == [0])
        try server.send(HTTP2Frames.get("/hi", stream: 3))
        #expect(server.body(of: try server.received(), stream: 3) == "hello\n")
        #expect(server.channel.isActive)
    }

    /// A response whose end waits for flow-control window the client never gives is cut
    /// when the write timeout closes its stream: the reset says so (CANCEL), where NO_ERROR
    /// would tell the client that the truncated body was complete.
    @Test func aResponseCutBeforeItsEndIsResetAsCancelledNotAsComplete() throws {
        let server = try HTTP2ServerTests { $0.writeTimeout = .seconds(2) }
        try server.send(HTTP2Frames.get("/big", stream: 1))
        let sent = try server.received().filter { $0.stream == 1 }
        #expect(server.body(of: sent, stream: 1).utf8.count == 65_535, "the initial window, no more")
        #expect(!sent.contains { $0.flags & HTTP2Frames.endStream != 0 })
        server.loop.advanceTime(by: .seconds(2))
        let resets = try server.received().filter { $0.stream == 1 }.compactMap(\.resetCode)
        #expect(resets == [Self.cancel], "\(resets)")
        #expect(server.channel.isActive, "the connection goes on")
    }

    /// Streams keep their deadlines on their connection's one timer: uploads that stall are
    /// each cut at their own idle deadline (the later one too, after the timer fired for the
    /// earlier), and the connection goes on serving.
    @Test func stalledUploadsAreCutEachAtItsOwnDeadline() throws {
        let resets = { (frames: [HTTP2Frames.Received]) in frames.filter { $0.resetCode != nil }.map(\.stream) }
        try send(HTTP2Frames.postHead("/hi", stream: 1))
        loop.advanceTime(by: .seconds(3))
        try send(HTTP2Frames.postHead("/hi", stream: 3))
        loop.advanceTime(by: .milliseconds(1999))
        #expect(resets(try received()) == [])
        loop.advanceTime(by: .milliseconds(1))
        #expect(resets(try received()) == [1], "stream 1's idle deadline, 5 s after its head")
        loop.advanceTime(by: .milliseconds(2999))
        #expect(resets(try received()) == [])
        loop.advanceTime(by: .milliseconds(1))
        #expect(resets(try received()) == [3], "stream 3's, 5 s after its own")
        try send(HTTP2Frames.get("/hi", stream: 5))
        #expect(body(of: try received(), stream: 5) == "hello\n")
        #expect(channel.isActive)
    }

    @Test func anIdleConnectionClosesOnceThePingIsAnswered() throws {
        try send(HTTP2Frames.get("/hi", stream: 1))
        _ = try received()
        let ping = try #require(try drainAnsweringTheProbe().first { $0.kind == HTTP2Frames.Kind.ping.rawValue })
        try send(HTTP2Frames.frame(.ping, flags: HTTP2Frames.ack, payload: Array(ping.payload.readableBytesView)))
        let last = try received()
        #expect(last.compactMap(\.goAway).map(\.lastStreamID) == [1])
        try HTTP2Frames.expectClosedOnceTheFinalPingIsAnswered(channel, after: last)
    }

    @Test func aDrainWhoseClientNeverAnswersThePingEndsAfterTheGraceAndTheLastStream() throws {
        try send(HTTP2Frames.get("/slow", stream: 1))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        _ = try received()
        loop.advanceTime(by: .milliseconds(500))
        #expect(try received().compactMap(\.goAway).map(\.lastStreamID) == [0x7FFF_FFFF], "the probe's grace")
        loop.advanceTime(by: .milliseconds(500))
        #expect(channel.isActive)
        hello.pending.first?.succeed(HTTPResponse(status: .ok, text: "slow\n"))
        let last = try received()
        #expect(last.compactMap(\.goAway).map(\.lastStreamID) == [1])
        try HTTP2Frames.expectClosedOnceTheFinalPingIsAnswered(channel, after: last)
    }

    @Test func aConnectionWithoutStreamsClosesAtReadHeaderThenAtIdle() throws {
        loop.advanceTime(by: .milliseconds(999))
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(1))
        let first = try received()
        #expect(first.compactMap(\.goAway).map(\.lastStreamID) == [0])
        try HTTP2Frames.expectClosedOnceTheFinalPingIsAnswered(channel, after: first)

        let busy = try HTTP2ServerTests()
        try busy.send(HTTP2Frames.get("/hi", stream: 1))
        busy.loop.advanceTime(by: .seconds(4))
        #expect(busy.channel.isActive)
        busy.loop.advanceTime(by: .seconds(1))
        let last = try busy.received()
        #expect(last.compactMap(\.goAway).map(\.lastStreamID) == [1])
        try HTTP2Frames.expectClosedOnceTheFinalPingIsAnswered(busy.channel, after: last)
    }

    /// The close waits for the final GOAWAY to be written, but not past the write timeout:
    /// a client that stops reading would otherwise hold the connection for ever.
    @Test func aClientThatReadsNothingIsClosedAtTheWriteTimeoutAfterTheFinalGoAway() throws {
        try send(HTTP2Frames.get("/hi", stream: 1))
        _ = try received()
        socket.stalled = true
        loop.advanceTime(by: .seconds(5))
        #expect(channel.isActive, "the GOAWAY of the idle timeout is not out yet")
        loop.advanceTime(by: TimeAmount(HTTPServerConfiguration().writeTimeout) - .milliseconds(1))
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    @Test func aClientThatOpensMoreStreamsThanAllowedIsCutOff() throws {
        let server = try HTTP2ServerTests { $0.maxConcurrentStreams = 2 }
        try server.send(HTTP2Frames.get("/slow", stream: 1), HTTP2Frames.get("/slow", stream: 3))
        #expect(server.hello.pending.count == 2)
        try server.send(HTTP2Frames.get("/slow", stream: 5))
        #expect(server.hello.pending.count == 2)
        let frames = try server.received()
        #expect(frames.contains { $0.resetCode != nil || $0.goAway != nil }, "\(frames)")
    }

    @Test func aHeaderListOverMaxHeaderSizeIsRefused() throws {
        let server = try HTTP2ServerTests { $0.maxHeaderSize = 1024 }
        // 10 headers of 120 bytes each.
        let value = String(repeating: "a", count: 120)
        let big: [UInt8] = (0..<10).flatMap { index in HTTP2Frames.literal(name: "x-h\(index)", value) }
        try server.send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endHeaders | HTTP2Frames.endStream, stream: 1,
                                          payload: HTTP2Frames.requestBlock(path: "/hi", extra: big)))
        let frames = try server.received()
        #expect(server.body(of: frames, stream: 1) == "")
        #expect(frames.compactMap(\.goAway).last?.code != nil, "\(frames)")
        #expect(!server.channel.isActive)
    }

    @Test func rapidResetIsStoppedWithEnhanceYourCalm() throws {
        var stream: UInt32 = 1
        var closedAt: Int?
        for round in 0..<300 where channel.isActive {
            try send(HTTP2Frames.get("/slow", stream: stream), HTTP2Frames.rstStream(stream))
            stream += 2
            if !channel.isActive { closedAt = round }
        }
        let goAway = try received().compactMap(\.goAway).last
        #expect(goAway?.code == Self.enhanceYourCalm)
        #expect(try #require(closedAt) <= 201)
    }

    @Test func aContinuationFloodIsStopped() throws {
        try send(HTTP2Frames.frame(.headers, stream: 1, payload: HTTP2Frames.requestBlock(path: "/hi")))
        for _ in 0..<20 where channel.isActive {
            try send(HTTP2Frames.frame(.continuation, stream: 1, payload: HTTP2Frames.literal(nameIndex: 0x0F, "x")))
        }
        #expect(try received().compactMap(\.goAway).last?.code == Self.enhanceYourCalm)
        #expect(!channel.isActive)
    }

    @Test(arguments: ["ping", "settings"]) func aControlFrameFloodIsStopped(kind: String) throws {
        var sent = 0
        while channel.isActive && sent < 300 {
            let frame = kind == "ping" ? HTTP2Frames.ping(UInt64(sent)) : HTTP2Frames.frame(.settings)
            try send(frame)
            sent += 1
        }
        #expect(try received().compactMap(\.goAway).last?.code == Self.enhanceYourCalm)
        #expect(sent <= 202)
    }
}
