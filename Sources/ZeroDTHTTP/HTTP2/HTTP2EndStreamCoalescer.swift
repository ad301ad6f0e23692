import NIOCore
import NIOHTTP2

/// Puts END_STREAM on a response's last HEADERS or DATA frame. nio-http2's server codec ends a
/// response with a frame of its own (an empty DATA frame), and clients that consider a
/// response done once its `content-length` has arrived (curl) reset the stream before that
/// frame comes: one RST_STREAM per request, which soon trips nio-http2's rapid-reset defence
/// (CVE-2023-44487) and closes the connection. So the newest frame is held back until the
/// next write or flush, and an empty END_STREAM frame is folded into it.
///
/// It also ends a stream whose response is complete while its request is still coming in (an
/// early answer such as a 413, then the connection handler's close) with RST_STREAM
/// NO_ERROR, which asks the client to stop sending without failing the response (RFC 9113
/// §8.1). nio-http2 would close the stream with CANCEL, which tells the client the response
/// was abandoned.
final class HTTP2EndStreamCoalescer: ChannelOutboundHandler {
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private var held: (payload: HTTP2Frame.FramePayload, promise: EventLoopPromise<Void>?)?
    /// A frame with END_STREAM has gone down: the response is complete.
    private var responseEnded = false
    /// The stream was ended with RST_STREAM NO_ERROR; a close after that is passed on.
    private var resetSent = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let payload = unwrapOutboundIn(data)
        if case .data(let end) = payload, end.endStream, end.data.readableBytes == 0, let last = held {
            held = nil
            responseEnded = true
            context.write(wrapOutboundOut(Self.endingStream(last.payload)),
                          promise: Self.combine(last.promise, promise, on: context.eventLoop))
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
    private static func combine(_ first: EventLoopPromise<Void>?, _ second: EventLoopPromise<Void>?,
                                on eventLoop: any EventLoop) -> EventLoopPromise<Void>? {
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
extension HTTP2EndStreamCoalescer: Sendable {}
