import NIOCore
import NIOHTTP2

/// Fits an HTTP/2 stream to the `HTTPConnectionHandler` behind nio-http2's codec. One
/// handler per stream rather than three, as each handler costs every stream its setup and
/// every frame a hop:
///
/// - **The drain.** nio-http2 passes `ChannelShouldQuiesceEvent` on to every stream, but on
///   HTTP/2 the connection drains (`HTTP2ConnectionHandler`, by GOAWAY): a stream answers its
///   request as usual, while the HTTP/1.1 rules (close after the answer, close when idle
///   after the grace) would reset it. The event stops here.
/// - **The request's host.** Its first HEADERS frame gets `:authority` and `host`
///   reconciled (`HTTP2RequestAuthority`) before the codec makes an HTTP/1 head of them.
/// - **The end of the response.** nio-http2's codec ends a response with a frame of its
///   own (an empty DATA frame), and clients that consider a response done once its
///   `content-length` has arrived (curl) reset the stream before that frame comes: one
///   RST_STREAM per request, which soon trips nio-http2's rapid-reset defence
///   (CVE-2023-44487) and closes the connection. So the newest frame is held back until the
///   next write or flush, and an empty END_STREAM frame is folded into it.
/// - **An early answer.** A stream whose response is complete while its request is still
///   coming in (a 413, then the connection handler's close) ends with RST_STREAM NO_ERROR,
///   which asks the client to stop sending without failing the response (RFC 9113 §8.1).
///   nio-http2 would close the stream with CANCEL, which tells the client the response was
///   abandoned.
final class HTTP2StreamAdapter: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// Whether the stream's first HEADERS (the request's; later ones are trailers) went by.
    private var sawRequestHead = false
    private var held: (payload: HTTP2Frame.FramePayload, promise: EventLoopPromise<Void>?)?
    /// A frame with END_STREAM has gone down: the response is complete.
    private var responseEnded = false
    /// The stream was ended with RST_STREAM NO_ERROR; a close after that is passed on.
    private var resetSent = false

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !sawRequestHead, case .headers(var headers) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        sawRequestHead = true
        HTTP2RequestAuthority.reconcile(&headers.headers)
        context.fireChannelRead(wrapInboundOut(.headers(headers)))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { return }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let payload = unwrapOutboundIn(data)
        if case .data(let end) = payload, end.endStream, end.data.readableBytes == 0, let last = held {
            held = nil
            responseEnded = true
            context.write(wrapOutboundOut(Self.endingStream(last.payload)),
                          promise: Self.combine(last.promise, promise))
            return
        }
        writeHeld(context: context)
        held = (payload, promise)
    }

    func flush(context: ChannelHandlerContext) {
        writeHeld(context: context)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        writeHeld(context: context)
        // Still active after its end went out: the client has not ended its side yet. (Once
        // both sides have ended, nio-http2 has closed the stream already.)
        guard responseEnded, !resetSent, context.channel.isActive else {
            context.close(mode: mode, promise: promise)
            return
        }
        resetSent = true
        // Should nio-http2 refuse the frame, the stream is closed its own way.
        let reset = context.eventLoop.makePromise(of: Void.self)
        reset.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.rstStream(.noError)), promise: reset)
        if let promise { context.channel.closeFuture.cascade(to: promise) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        writeHeld(context: context)
    }

    private func writeHeld(context: ChannelHandlerContext) {
        guard let last = held else { return }
        held = nil
        if last.payload.endsStream { responseEnded = true }
        context.write(wrapOutboundOut(last.payload), promise: last.promise)
    }

    private static func endingStream(_ payload: HTTP2Frame.FramePayload) -> HTTP2Frame.FramePayload {
        switch payload {
        case .headers(var headers):
            headers.endStream = true
            return .headers(headers)
        case .data(var data):
            data.endStream = true
            return .data(data)
        default:
            return payload
        }
    }

    /// One promise for a write that stands for two.
    private static func combine(_ first: EventLoopPromise<Void>?,
                                _ second: EventLoopPromise<Void>?) -> EventLoopPromise<Void>? {
        guard let first else { return second }
        guard let second else { return first }
        first.futureResult.cascade(to: second)
        return first
    }
}

extension HTTP2Frame.FramePayload {
    /// Whether the frame carries END_STREAM.
    fileprivate var endsStream: Bool {
        switch self {
        case .headers(let headers): return headers.endStream
        case .data(let data): return data.endStream
        default: return false
        }
    }
}

@available(*, unavailable)
extension HTTP2StreamAdapter: Sendable {}
