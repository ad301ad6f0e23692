import NIOCore

/// Keeps the server's drain away from a stream's `HTTPConnectionHandler`. nio-http2 passes
/// `ChannelShouldQuiesceEvent` on to every stream, but on HTTP/2 the connection drains
/// (`HTTP2ConnectionHandler`, by GOAWAY): a stream answers its request as usual, while the
/// HTTP/1.1 rules (close after the answer, close when idle after the grace) would reset it.
final class HTTP2StreamDrainFilter: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { return }
        context.fireUserInboundEventTriggered(event)
    }
}

@available(*, unavailable)
extension HTTP2StreamDrainFilter: Sendable {}
