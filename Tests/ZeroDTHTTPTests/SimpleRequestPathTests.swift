import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// The monitor's fast path on a connection (simple requests parsed past NIO's decoder)
/// against the decoder alone: the same bytes, in the same reads, must get the same answers,
/// access log and connection state, whether requests are simple, not, or mixed.
@Suite struct SimpleRequestPathTests {
    /// Answers with the target it was asked for; reads the body, if any, into the answer.
    private struct Echo: HTTPHandler {
        var allowedMethods: [HTTPMethod]? { nil }

        func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
            let body = request.body.map { String(buffer: $0) } ?? ""
            return .response(HTTPResponse(status: .ok, text: "\(request.head.method) \(request.head.uri) \(body)\n"))
        }
    }

    /// What a connection did with some reads: its output with the dates taken out, its
    /// access log and whether it is still open.
    private struct Outcome: Equatable {
        var output: String
        var log: [String]
        var isActive: Bool
    }

    private func run(_ reads: [String], halfClose: Bool, readsSimpleHeads: Bool) throws -> Outcome {
        var configuration = HTTPServerConfiguration()
        configuration.maxHeaderSize = 1024
        let channel = EmbeddedChannel()
        let accessLog = NIOLockedValueBox<[AccessLogEntry]>([])
        let (logger, _) = RecordingLogHandler.logger()
        try channel.addConnectionHandlers(configuration: configuration, handler: Echo(), accessLog: accessLog,
                                          logger: logger, readsSimpleHeads: readsSimpleHeads)
        for read in reads { try channel.writeInbound(ByteBuffer(string: read)) }
        if halfClose { channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        channel.embeddedEventLoop.run()
        var output = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = data { output += String(buffer: buffer) }
        }
        let dateless = output.split(separator: "\r\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("Date: ") }.joined(separator: "\r\n")
        let log = accessLog.withLockedValue { $0 }.map { "\($0.method) \($0.target) \($0.status) \($0.bytes)" }
        return Outcome(output: dateless, log: log, isActive: channel.isActive)
    }

    private static let get = "GET /a HTTP/1.1\r\nHost: t\r\n\r\n"
    private static let post = "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"

    static let cases: [(reads: [String], halfClose: Bool)] = [
        // Simple, then not, then simple again, in one read and in several.
        ([get + post + get], false),
        ([get, post, get], false),
        ([get + "GET /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n" + get], false),
        // A head in pieces, byte by byte, and cut short by the client's half-close.
        ([get + "GET /b HTTP/1.1\r\nHo", "st: t\r\n", "\r\n"], false),
        (get.utf8.map { String(decoding: [$0], as: UTF8.self) }, true),
        ([get + "GET /b HTTP/1.1\r\nHost: t"], true),
        ([get], true),
        // Refusals: by the head check (after a simple parse) and by the decoder.
        (["GET /a HTTP/1.1\r\nHost: a, b\r\n\r\n" + get], false),
        (["GET /a HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"], true),
        ([get + "GET /f HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n 2\r\n\r\n"], false),
        ([get + "GET /n HTTP/1.1\r\nno colon\r\n\r\n"], false),
        ([get + "GET /\(String(repeating: "b", count: 900)) HTTP/1.1\r\n"
              + "X-Big: \(String(repeating: "a", count: 200))\r\n\r\n"], false),
        (["GET /\(String(repeating: "b", count: 1100)) HTTP/1.1\r\n\r\n"], false),
        (["GET /a HTTP/1.1\r\n"] + Array(repeating: "X-Slow: 1\r\n", count: 12) + ["Host: t\r\n\r\n", get], true),
        // Keep-alive and close, HTTP/1.0 and 1.1, HEAD.
        (["GET /a HTTP/1.0\r\n\r\n" + get], true),
        (["HEAD /h HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + get], true),
        (["GET /a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" + get], false),
        (["GET /a HTTP/1.0\r\nCONNECTION: Keep-Alive\r\n\r\n" + get], true),
        (["GET /a HTTP/1.1\r\nHost: t\r\nConnection: te, CLOSE\r\n\r\n" + get], false),
        (["GET /a HTTP/1.1\r\nHost: t\r\nProxy-Connection: close\r\n\r\n" + get], false),
        // `close` wins over `keep-alive` beside it (RFC 9112 §9.3), in one field or two.
        (["GET /a HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n" + get], false),
        (["GET /a HTTP/1.0\r\nConnection: keep-alive\r\nConnection: Close\r\n\r\n" + get], false),
    ]

    @Test(arguments: cases)
    func theFastPathAnswersAsTheDecoderAlone(_ reads: [String], halfClose: Bool) throws {
        let fast = try run(reads, halfClose: halfClose, readsSimpleHeads: true)
        let decoder = try run(reads, halfClose: halfClose, readsSimpleHeads: false)
        #expect(fast == decoder)
        #expect(!fast.log.isEmpty)
    }

    @Test func simpleRequestsSkipTheDecoderAndTheFirstOtherAddsItAndTakesTheRestToIt() throws {
        let monitor = RequestLineMonitor(simpleHeadLimit: 1024)
        let delegate = Targets()
        monitor.delegate = delegate
        var heads: [String] { delegate.targets }
        let channel = EmbeddedChannel(handler: monitor)
        let hasDecoder = { (try? channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)) != nil }
        try channel.writeInbound(ByteBuffer(string: Self.get + "GET /b HTTP/1.1\r\nHo"))
        try channel.writeInbound(ByteBuffer(string: "st: t\r\n\r\n"))
        #expect(heads == ["/a", "/b"])
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == nil)
        // Simple requests only: an idle keep-alive connection holds no decoder.
        #expect(!hasDecoder())
        try channel.writeInbound(ByteBuffer(string: Self.post + Self.get))
        try channel.writeInbound(ByteBuffer(string: Self.get))
        #expect(heads == ["/a", "/b"])
        #expect(hasDecoder())
        var parts: [String] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head(let head): parts.append("\(head.method) \(head.uri)")
            case .body(let body): parts.append(String(buffer: body))
            case .end: parts.append("end")
            }
        }
        #expect(parts == ["POST /p", "abc", "end", "GET /a", "end", "GET /a", "end"])
    }

    /// A body with blank lines in it reaches the decoder whole (one body part), as the
    /// requests after it do: the monitor hands the decoder a request apart from the next
    /// only after one long enough to be refused as too large, not at every line that
    /// follows a blank one.
    @Test func aBodyWithBlankLinesReachesTheDecoderInOnePiece() throws {
        let monitor = RequestLineMonitor(simpleHeadLimit: 1024)
        let channel = EmbeddedChannel(handler: monitor)
        let body = "a\r\n\r\nb\n\nc"
        try channel.writeInbound(ByteBuffer(string: "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                                            + body + Self.get))
        var bodies: [String] = []
        var heads = 0
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head: heads += 1
            case .body(let piece): bodies.append(String(buffer: piece))
            case .end: break
            }
        }
        #expect(bodies == [body] && heads == 2, "\(bodies)")
    }

    /// Records the targets of the simple requests a monitor reads.
    private final class Targets: RequestLineMonitor.Delegate {
        var targets: [String] = []
        func requestBytesArrived() {}
        func simpleRequestArrived(_ head: CompactRequestHead) { targets.append(head.uri) }
    }

    /// A connection to the echo handler on one of the two paths, which has answered one GET.
    private static func echoConnection(_ configuration: HTTPServerConfiguration,
                                       readsSimpleHeads: Bool) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let (logger, _) = RecordingLogHandler.logger()
        try channel.addConnectionHandlers(configuration: configuration, handler: Echo(),
                                          accessLog: NIOLockedValueBox([]), logger: logger,
                                          readsSimpleHeads: readsSimpleHeads)
        try channel.writeInbound(ByteBuffer(string: get))
        return channel
    }

    /// A head in pieces is a request being read from its first bytes, on either path: a
    /// drain that starts meanwhile lets it finish (with `Connection: close`) rather than
    /// closing the connection as idle.
    @Test(arguments: [true, false])
    func aHeadInPiecesIsARequestBeingReadWhenADrainStarts(readsSimpleHeads: Bool) throws {
        var configuration = HTTPServerConfiguration()
        configuration.drainGrace = .milliseconds(500)
        let channel = try Self.echoConnection(configuration, readsSimpleHeads: readsSimpleHeads)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        try channel.writeInbound(ByteBuffer(string: "GET /b HTTP/1.1\r\n"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(600))
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "Host: t\r\n\r\n"))
        var output = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = data { output += String(buffer: buffer) }
        }
        #expect(output.hasSuffix("Connection: close\r\n\r\nGET /b \n"))
    }

    /// The `read_header` clock starts with a head's first bytes on a keep-alive connection
    /// too, not when the idle timeout from the last response runs out; on either path.
    @Test(arguments: [true, false])
    func aHeadInPiecesAfterAnIdleWhileIsHeldToTheHeaderTimeout(readsSimpleHeads: Bool) throws {
        var configuration = HTTPServerConfiguration()
        configuration.readHeaderTimeout = .seconds(1)
        configuration.idleTimeout = .seconds(5)
        let channel = try Self.echoConnection(configuration, readsSimpleHeads: readsSimpleHeads)
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        try channel.writeInbound(ByteBuffer(string: "GET /b HTTP/1.1\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        try channel.writeInbound(ByteBuffer(string: "Host: t\r\n"))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }
}
