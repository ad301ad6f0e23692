import NIOCore
import NIOHTTP2

/// Sits in front of `NIOHTTP2Handler`: writes the drain's GOAWAY frames past it, and drops
/// what the client sends once the final one is decided (`HTTP2ConnectionHandler` drives it).
///
/// Why past nio-http2: once it has sent a GOAWAY and no stream is open, nio-http2 counts the
/// connection finished and answers any later frame (a WINDOW_UPDATE from a client still
/// reading, the drain PING's answer, a request already on the wire) with a connection error
/// and a GOAWAY PROTOCOL_ERROR of its own. Clients then failed the streams they had just
/// opened, and the close that followed cut answers still queued below nio-http2 (file chunks
/// for TLS, TLS records) short. nio-http2 never learns of these GOAWAY frames, so it goes on
/// taking frames until the connection closes; streams the client opens after the final
/// GOAWAY are not served (`isClosed`, checked when a stream is set up), as that GOAWAY says.
final class HTTP2InputGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny
    typealias OutboundOut = ByteBuffer

    /// Whether the final GOAWAY is decided: input is dropped and new streams are not served.
    /// Only ever set, on the channel's event loop.
    private(set) var isClosed = false
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func close() {
        isClosed = true
    }

    /// Writes and flushes a GOAWAY frame with `lastStreamID` and NO_ERROR below nio-http2,
    /// after everything written so far.
    func writeGoAway(lastStreamID: HTTP2StreamID, promise: EventLoopPromise<Void>?) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        var frame = context.channel.allocator.buffer(capacity: 17)
        // RFC 9113 §4.1, §6.8: length 8, type GOAWAY (7), no flags, stream 0; then the last
        // stream id (31 bits) and the error code.
        frame.writeBytes([0, 0, 8, 7, 0, 0, 0, 0, 0])
        frame.writeInteger(UInt32(Int32(lastStreamID)))
        frame.writeInteger(UInt32(HTTP2ErrorCode.noError.networkCode))
        context.writeAndFlush(wrapOutboundOut(frame), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosed else { return }
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension HTTP2InputGate: Sendable {}
