import NIOCore
import NIOHTTP2

/// Puts END_STREAM on a response's last HEADERS or DATA frame. nio-http2's server codec ends a
/// response with a frame of its own (an empty DATA frame), and clients that consider a
/// response done once its `content-length` has arrived (curl) reset the stream before that
/// frame comes: one RST_STREAM per request, which soon trips nio-http2's rapid-reset defence
/// (CVE-2023-44487) and closes the connection. So the newest frame is held back until the
/// next write or flush, and an empty END_STREAM frame is folded into it.
final class HTTP2EndStreamCoalescer: ChannelOutboundHandler {
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private var held: (payload: HTTP2Frame.FramePayload, promise: EventLoopPromise<Void>?)?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let payload = unwrapOutboundIn(data)
        if case .data(let end) = payload, end.endStream, end.data.readableBytes == 0, let last = held {
            held = nil
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

    func handlerRemoved(context: ChannelHandlerContext) {
        writeHeld(context: context)
    }

    private func writeHeld(context: ChannelHandlerContext) {
        guard let last = held else { return }
        held = nil
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

@available(*, unavailable)
extension HTTP2EndStreamCoalescer: Sendable {}
