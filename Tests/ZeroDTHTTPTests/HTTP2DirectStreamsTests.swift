import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// `HTTP2DirectStreams` in the server's HTTP/2 pipeline on an `EmbeddedChannel` (with
/// `FileRegionReader` below it, as under TLS): raw frames in, raw frames out. Which streams
/// are answered without a stream channel, and how such a stream ends.
@Suite struct HTTP2DirectStreamsTests {
    /// Answers at once, and counts how it was asked: directly, or through a stream channel's
    /// `respond`. `/` gets "hello\n"; `/big`, a body larger than a stream's initial window;
    /// `/file`, a file of `fileSize` bytes, its handle kept for the test to check.
    final class Counting: ImmediateHTTPHandler, @unchecked Sendable {
        static let bigBody = String(repeating: "x", count: 100_000)
        static let fileSize = 200_000
        let file: String
        var direct = 0
        var throughStream = 0
        var handles: [NIOFileHandle] = []
        var allowedMethods: [HTTPMethod]? { nil }

        init(file: String) {
            self.file = file
        }

        func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
            throughStream += 1
            return .response(response(to: request))
        }

        func immediateResponse(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPResponse {
            direct += 1
            return response(to: request)
        }

        private func response(to request: HTTPRequest) -> HTTPResponse {
            switch request.path {
            case "/big": return HTTPResponse(status: .ok, text: Self.bigBody)
            case "/file":
                // swiftlint:disable:next force_try
                let handle = try! NIOFileHandle(_deprecatedPath: file)
                handles.append(handle)
                return HTTPResponse(status: .ok, body: [.file(.init(handle: handle, offset: 0, count: Self.fileSize))])
            default: return HTTPResponse(status: .ok, text: "hello\n")
            }
        }
    }

    private static let cancel: UInt32 = 0x8

    let handler: Counting
    let logged = NIOLockedValueBox<[AccessLogEntry]>([])
    let loop = EmbeddedEventLoop()
    let channel: EmbeddedChannel
    let directory: URL
    /// One decoder for every HEADERS frame the server sends, in order: its encoder indexes.
    private let decoder = NIOLockedValueBox(HPACKDecoder(allocator: ByteBufferAllocator()))

    init(configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("direct-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("file").path
        try Data(repeating: 0x61, count: Counting.fileSize).write(to: URL(fileURLWithPath: file))
        handler = Counting(file: file)
        let logged = self.logged
        let server = VirtualServer(name: "test", routes: RoutingTable(routes: [.init(path: "/", handler: handler)]),
                                   accessLog: { entry in logged.withLockedValue { $0.append(entry) } })
        channel = EmbeddedChannel(handler: FileRegionReader(), loop: loop)
        try HTTP2Frames.startServer(on: channel, hosts: VirtualHosts(server),
                                    configuration: HTTP2Frames.configuration(configure))
    }

    /// Sends `frames` in one read; no error may reach the end of the pipeline (a frame of a
    /// stream answered here that got to the multiplexer would: "no such stream").
    func send(_ frames: ByteBuffer...) throws {
        try send(contentsOf: frames)
    }

    func send(contentsOf frames: [ByteBuffer]) throws {
        var all = ByteBuffer()
        for var frame in frames { all.writeBuffer(&frame) }
        try channel.writeInbound(all)
        try channel.throwIfErrorCaught()
    }

    func received() throws -> [HTTP2Frames.Received] {
        try HTTP2Frames.received(on: channel)
    }

    func bodyBytes(of frames: [HTTP2Frames.Received], stream: UInt32) -> Int {
        frames.filter { $0.stream == stream && $0.kind == HTTP2Frames.Kind.data.rawValue }
            .reduce(0) { $0 + $1.payload.readableBytes }
    }

    /// The header blocks of `frames` on `stream`, decoded.
    private func headers(of frames: [HTTP2Frames.Received], stream: UInt32) throws -> [HPACKHeaders] {
        try frames.filter { $0.kind == HTTP2Frames.Kind.headers.rawValue }.compactMap { frame in
            var block = frame.payload
            let decoded = try decoder.withLockedValue { try $0.decodeHeaders(from: &block) }
            return frame.stream == stream ? decoded : nil
        }
    }

    func windowUpdate(stream: UInt32, by increment: UInt32) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(increment)
        return HTTP2Frames.frame(.windowUpdate, stream: stream, payload: Array(payload.readableBytesView))
    }

    func removeDirectory() {
        try? FileManager.default.removeItem(at: directory)
    }

    @Test func aCompleteGetIsAnsweredWithoutAStreamChannelAsTheStreamPathWould() throws {
        defer { removeDirectory() }
        try send(HTTP2Frames.get("/hi", stream: 1))
        let frames = try received().filter { $0.stream == 1 }
        #expect(frames.map(\.kind) == [HTTP2Frames.Kind.headers.rawValue, HTTP2Frames.Kind.data.rawValue])
        #expect(frames.map(\.flags) == [HTTP2Frames.endHeaders, HTTP2Frames.endStream], "END_STREAM on the DATA")
        #expect(String(buffer: frames[1].payload) == "hello\n")
        let head = try #require(try headers(of: frames, stream: 1).first)
        #expect(head[":status"] == ["200"])
        #expect(head["content-length"] == ["6"])
        #expect(head["server"] == ["zerodt"])
        #expect(head["date"].count == 1)
        #expect(handler.direct == 1 && handler.throughStream == 0)
        let entry = try #require(logged.withLockedValue { $0 }.first)
        #expect(entry.version == .http2 && entry.status == 200 && entry.bytes == 6 && entry.route == "/")
    }

    @Test func aHeadRequestGetsTheLengthAndEndsWithItsHeaders() throws {
        defer { removeDirectory() }
        let block = HTTP2Frames.literal(nameIndex: 2, "HEAD") + [0x87] + HTTP2Frames.literal(nameIndex: 4, "/file")
            + HTTP2Frames.literal(nameIndex: 1, "test")
        try send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endHeaders | HTTP2Frames.endStream, stream: 1,
                                   payload: block))
        let frames = try received().filter { $0.stream == 1 }
        #expect(frames.map(\.kind) == [HTTP2Frames.Kind.headers.rawValue])
        #expect(frames.first?.flags == HTTP2Frames.endHeaders | HTTP2Frames.endStream)
        #expect(try headers(of: frames, stream: 1).first?["content-length"] == ["\(Counting.fileSize)"])
        #expect(handler.direct == 1 && handler.handles.allSatisfy { !$0.isOpen }, "the unsent file is closed")
    }

    /// A request with a body goes to a stream channel, whose handler is asked once; a GET in
    /// the same read is answered directly.
    @Test func aRequestWithABodyGoesToAStreamChannelBesideADirectOne() throws {
        defer { removeDirectory() }
        try send(HTTP2Frames.postHead("/hi", stream: 1),
                 HTTP2Frames.get("/hi", stream: 3),
                 HTTP2Frames.frame(.data, flags: HTTP2Frames.endStream, stream: 1, payload: Array("body".utf8)))
        let frames = try received()
        #expect(bodyBytes(of: frames, stream: 1) == 6 && bodyBytes(of: frames, stream: 3) == 6)
        #expect(frames.filter { $0.flags & HTTP2Frames.endStream != 0 }.map(\.stream).sorted() == [1, 3])
        #expect(handler.direct == 1 && handler.throughStream == 1)
        #expect(channel.isActive)
    }

    /// WINDOW_UPDATE (and RST_STREAM, below) of a stream answered here never reach the
    /// multiplexer, which would report a stream it does not know.
    @Test func framesOfAnAnsweredStreamAreItsOwn() throws {
        defer { removeDirectory() }
        try send(HTTP2Frames.get("/big", stream: 1))
        let first = try received()
        #expect(bodyBytes(of: first, stream: 1) == 65_535, "the initial window, no more")
        try send(windowUpdate(stream: 1, by: 100_000), windowUpdate(stream: 0, by: 100_000))
        let rest = try received()
        #expect(bodyBytes(of: rest, stream: 1) == 100_000 - 65_535)
        #expect(rest.last { $0.stream == 1 }?.flags == HTTP2Frames.endStream)
        try send(HTTP2Frames.get("/hi", stream: 3))
        #expect(bodyBytes(of: try received(), stream: 3) == 6)
    }

    @Test func aStreamResetByTheClientMidResponseClosesItsFile() throws {
        defer { removeDirectory() }
        try send(HTTP2Frames.get("/file", stream: 1))
        #expect(bodyBytes(of: try received(), stream: 1) == 65_535)
        let handle = try #require(handler.handles.first)
        #expect(handle.isOpen)
        try send(HTTP2Frames.rstStream(1))
        _ = try received()
        #expect(!handle.isOpen)
        // Stream 1 used up the connection's window: stream 3 needs more.
        try send(windowUpdate(stream: 0, by: 100), HTTP2Frames.get("/hi", stream: 3))
        #expect(bodyBytes(of: try received(), stream: 3) == 6)
        #expect(channel.isActive)
    }

    /// A server whose write timeout is 2 s, sending `/file` on stream 1 as far as the initial
    /// windows let it.
    private static func fileDownloadStalledByFlowControl() throws -> HTTP2DirectStreamsTests {
        let server = try HTTP2DirectStreamsTests { $0.writeTimeout = .seconds(2) }
        try server.send(HTTP2Frames.get("/file", stream: 1))
        #expect(server.bodyBytes(of: try server.received(), stream: 1) == 65_535)
        return server
    }

    /// A client that never opens its window does not hold the stream (and its file) for
    /// ever: the stream is reset at `write_timeout`, and the connection goes on.
    @Test func aResponseStalledByFlowControlIsResetAtTheWriteTimeout() throws {
        defer { removeDirectory() }
        let server = try Self.fileDownloadStalledByFlowControl()
        defer { server.removeDirectory() }
        server.loop.advanceTime(by: .milliseconds(1999))
        #expect(try server.received().compactMap(\.resetCode).isEmpty)
        server.loop.advanceTime(by: .milliseconds(1))
        let resets = try server.received().filter { $0.stream == 1 }.compactMap(\.resetCode)
        #expect(resets == [Self.cancel], "\(resets)")
        #expect(server.handler.handles.allSatisfy { !$0.isOpen })
        try server.send(server.windowUpdate(stream: 0, by: 100), HTTP2Frames.get("/hi", stream: 3))
        #expect(server.bodyBytes(of: try server.received(), stream: 3) == 6)
        #expect(server.channel.isActive)
    }

    /// A client that reads a file slowly, opening the stream's and the connection's windows a
    /// piece at a time, makes progress with each piece written: the deadline moves; once it
    /// stops, the stream is reset a whole `write_timeout` after the last piece.
    @Test func eachPieceWrittenMovesTheWriteDeadline() throws {
        defer { removeDirectory() }
        let server = try Self.fileDownloadStalledByFlowControl()
        defer { server.removeDirectory() }
        server.loop.advanceTime(by: .milliseconds(1500))
        let piece = HTTP2DirectStreams.fileChunkSize
        try server.send(server.windowUpdate(stream: 1, by: UInt32(piece)), server.windowUpdate(stream: 0, by: UInt32(piece)))
        #expect(server.bodyBytes(of: try server.received(), stream: 1) == piece)
        server.loop.advanceTime(by: .milliseconds(1999))
        #expect(try server.received().compactMap(\.resetCode).isEmpty)
        server.loop.advanceTime(by: .milliseconds(1))
        #expect(try server.received().filter { $0.stream == 1 }.compactMap(\.resetCode) == [Self.cancel])
        #expect(server.handler.handles.allSatisfy { !$0.isOpen })
    }

    /// A stream held back by the connection's window, which the client never opens, is
    /// stalled: the client opening the stream's own window sends nothing of it.
    @Test func aStreamHeldBackByTheConnectionsWindowIsReset() throws {
        defer { removeDirectory() }
        let server = try Self.fileDownloadStalledByFlowControl()
        defer { server.removeDirectory() }
        server.loop.advanceTime(by: .milliseconds(1500))
        try server.send(server.windowUpdate(stream: 1, by: 100_000))
        #expect(server.bodyBytes(of: try server.received(), stream: 1) == 0)
        server.loop.advanceTime(by: .milliseconds(500))
        #expect(try server.received().filter { $0.stream == 1 }.compactMap(\.resetCode) == [Self.cancel])
        #expect(server.handler.handles.allSatisfy { !$0.isOpen })
    }

    /// The drain's final GOAWAY is decided when the last stream closes, here by the client's
    /// reset, in the middle of a read: a stream that read opens is not served.
    @Test func aStreamOpenedAfterTheFinalGoAwayIsRefused() throws {
        defer { removeDirectory() }
        try send(HTTP2Frames.get("/file", stream: 1))
        _ = try received()
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try send(HTTP2Frames.pingAnswer(in: try received()))  // the probe
        try send(HTTP2Frames.pingAnswer(in: try received()))  // the PING after the first GOAWAY
        #expect(channel.isActive)
        try? send(HTTP2Frames.rstStream(1), HTTP2Frames.get("/hi", stream: 3))
        let last = try received()
        #expect(last.filter { $0.stream == 3 && $0.kind != HTTP2Frames.Kind.rstStream.rawValue }.isEmpty, "\(last)")
        #expect(last.compactMap(\.goAway).map(\.lastStreamID) == [1])
        #expect(handler.direct == 1 && handler.throughStream == 0)
        try HTTP2Frames.expectClosedOnceTheFinalPingIsAnswered(channel, after: last)
    }
}
