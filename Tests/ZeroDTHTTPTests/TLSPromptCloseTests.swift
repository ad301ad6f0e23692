import NIOCore
import NIOEmbedded
import Testing
@testable import ZeroDTHTTP

/// A client that closes TCP after the server began closing a TLS connection is not waited
/// for: the socket closes at once instead of sitting in CLOSE-WAIT for TLS's shutdown timeout.
@Suite struct TLSPromptCloseTests {
    /// Stands in for NIOSSL while it waits for the client's `close_notify`: it holds every close.
    final class HoldingClose: ChannelOutboundHandler, RemovableChannelHandler {
        typealias OutboundIn = NIOAny
        var held: [EventLoopPromise<Void>?] = []
        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            held.append(promise)
        }
    }

    static func channel() throws -> (EmbeddedChannel, HoldingClose) {
        let handlers = TLSPromptClose.handlers()
        let holding = HoldingClose()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(handlers.socketSide, holding, handlers.closeRequests)
        channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 443), promise: nil)
        return (channel, holding)
    }

    @Test func theClientsEndOfInputAfterACloseClosesTheSocket() throws {
        let (channel, holding) = try Self.channel()
        channel.close(promise: nil)
        #expect(channel.isActive, "TLS holds the close while it waits")
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(!channel.isActive)
        holding.held.forEach { $0?.succeed() }
    }

    @Test func aHalfCloseBeforeAnyCloseIsPassedOn() throws {
        let (channel, holding) = try Self.channel()
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        // The request that came before the client's FIN is still answered.
        #expect(channel.isActive)
        try channel.pipeline.syncOperations.removeHandler(holding).wait()
        _ = try? channel.finish()
    }
}
