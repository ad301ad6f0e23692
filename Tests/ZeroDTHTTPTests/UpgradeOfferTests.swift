import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// A request that offers to switch protocols (`Upgrade: h2c`, as `curl --http2` sends over
/// plain HTTP, or `websocket`) is answered as HTTP/1.1, which RFC 9110 §7.8 allows, and the
/// connection goes on reading HTTP/1.1. NIO's decoder stops parsing after such a request,
/// expecting an upgrader to take the connection over; without one, the next request on the
/// connection went unanswered until a timeout closed it.
@Suite struct UpgradeOfferTests {
    private struct Echo: HTTPHandler {
        var allowedMethods: [HTTPMethod]? { nil }

        func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
            let body = request.body.map { String(buffer: $0) } ?? ""
            return .response(HTTPResponse(status: .ok, text: "\(request.head.method.rawValue) \(request.head.uri) \(body)\n"))
        }
    }

    private static let offer = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"

    private func channel(readsSimpleHeads: Bool = true) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: EmbeddedEventLoop())
        try channel.addConnectionHandlers(configuration: HTTPServerConfiguration(), handler: Echo(),
                                          accessLog: NIOLockedValueBox([]), logger: RecordingLogHandler.logger().0,
                                          readsSimpleHeads: readsSimpleHeads)
        return channel
    }

    private func send(_ text: String, to channel: EmbeddedChannel) throws {
        try channel.writeInbound(ByteBuffer(string: text))
        (channel.eventLoop as! EmbeddedEventLoop).run()
    }

    private func received(from channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { continue }
            text += String(buffer: buffer)
        }
        return text
    }

    @Test(arguments: [true, false])
    func theRequestAfterAnOfferInTheSameReadIsAnswered(readsSimpleHeads: Bool) throws {
        let channel = try channel(readsSimpleHeads: readsSimpleHeads)
        try send("GET /a HTTP/1.1\r\nHost: test\r\n\(Self.offer)\r\nGET /b HTTP/1.1\r\nHost: test\r\n\r\n", to: channel)
        let response = try received(from: channel)
        #expect(response.contains("\r\n\r\nGET /a \n"))
        #expect(response.hasSuffix("\r\n\r\nGET /b \n"))
        #expect(!response.contains("Connection: close"))
        #expect(channel.isActive)
    }

    @Test func requestsInLaterReadsAreAnswered() throws {
        let channel = try channel()
        try send("GET /a HTTP/1.1\r\nHost: test\r\n\(Self.offer)\r\n", to: channel)
        #expect(try received(from: channel).hasSuffix("\r\n\r\nGET /a \n"))
        try send("GET /b HTTP/1.1\r\nHost: test\r\n", to: channel)
        try send("\r\nGET /c HTTP/1.1\r\nHost: test\r\n\r\n", to: channel)
        let response = try received(from: channel)
        #expect(response.contains("\r\n\r\nGET /b \n"))
        #expect(response.hasSuffix("\r\n\r\nGET /c \n"))
    }

    @Test func anOfferWithABodyAndOffersInARowAreAllAnswered() throws {
        let channel = try channel()
        try send("POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\(Self.offer)\r\nabc"
                 + "GET /b HTTP/1.1\r\nHost: test\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
                 + "POST /c HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n", to: channel)
        let response = try received(from: channel)
        #expect(response.contains("\r\n\r\nPOST /a abc\n"))
        #expect(response.contains("\r\n\r\nGET /b \n"))
        #expect(response.hasSuffix("\r\n\r\nPOST /c de\n"))
    }

    /// Offers NIO's decoder stops after and fields it does not: the server's test must be the
    /// decoder's own. A decoder wrongly replaced would lose the start of the next head, which
    /// it had read already (a 400); one wrongly left stopped would answer nothing more.
    @Test(arguments: [
        "Connection: keep-alive , UPGRADE\r\nUpgrade: websocket\r\n",
        "Upgrade: h2c\r\nConnection: close, upgrade\r\n",
        "Upgrade: h2c\r\n",
        "Connection: upgrade\r\n",
        "Connection: upgraded\r\nUpgrade: h2c\r\n",
    ])
    func theNextHeadSplitAcrossReadsIsAnsweredWhateverTheFields(fields: String) throws {
        let channel = try channel()
        try send("GET /a HTTP/1.1\r\nHost: test\r\n\(fields)\r\nGET /b HTTP/1.1\r\nHo", to: channel)
        try send("st: test\r\n\r\n", to: channel)
        let response = try received(from: channel)
        let closes = fields.contains("close")
        #expect(response.contains("\r\n\r\nGET /a \n"))
        #expect(response.hasSuffix(closes ? "\r\n\r\nGET /a \n" : "\r\n\r\nGET /b \n"))
    }
}
