import NIOCore

/// Sits in front of `NIOHTTP2Handler` and drops what the client sends once the connection's
/// final GOAWAY is on its way (`HTTP2ConnectionHandler` closes the gate).
///
/// nio-http2 answers every frame that arrives after it counts the connection finished (a
/// GOAWAY out, no stream open) with a connection error and a GOAWAY of its own, and the
/// handler used to close the connection on that error at once. A client reading a long
/// answer keeps sending WINDOW_UPDATE frames, so the close came while the answer's last
/// megabytes were still queued below nio-http2 (file chunks for TLS, TLS records), and they
/// were lost. With the gate closed, the final GOAWAY goes out after them and the connection
/// closes once it is written.
final class HTTP2InputGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny

    /// Whether input is dropped; only ever set, on the channel's event loop.
    private(set) var isClosed = false

    func close() {
        isClosed = true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosed else { return }
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension HTTP2InputGate: Sendable {}
