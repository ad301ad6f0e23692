import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// Fits an HTTP/2 stream to its `HTTPConnectionHandler`: frames in, request parts out
/// (`HTTP2Messages` makes the head); `ResponsePart`s from its `HTTP2ResponseWriter` in,
/// frames out. One handler per stream
/// where there were four (nio-http2's `HTTP2FramePayloadToHTTP1ServerCodec` among them), as
/// each costs every stream its setup and every frame a hop:
///
/// - **The drain.** nio-http2 passes `ChannelShouldQuiesceEvent` on to every stream, but on
///   HTTP/2 the connection drains (`HTTP2ConnectionHandler`, by GOAWAY): a stream answers its
///   request as usual, while the HTTP/1.1 rules (close after the answer, close when idle
///   after the grace) would reset it. The event stops here.
/// - **The request's host.** Its first HEADERS frame gets `:authority` and `host`
///   reconciled (`HTTP2RequestAuthority`) before it becomes an HTTP/1 head.
/// - **The end of the response.** END_STREAM goes on the response's last frame, not on a
///   frame of its own (an empty DATA frame): clients that consider a response done once its
///   `content-length` has arrived (curl) reset the stream before such a frame comes, one
///   RST_STREAM per request, which soon trips nio-http2's rapid-reset defence
///   (CVE-2023-44487) and closes the connection. A part that ends the response says so; a
///   streamed body's end (`.end`) comes after its last piece, so the newest frame is held
///   back until the next write or flush, and the end is put on it.
/// - **An early answer.** A stream whose response is complete while its request is still
///   coming in (a 413, then the connection handler's close) ends with RST_STREAM NO_ERROR,
///   which asks the client to stop sending without failing the response (RFC 9113 §8.1).
///   nio-http2 would close the stream with CANCEL, which tells the client the response was
///   abandoned.
final class HTTP2StreamAdapter: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = ResponsePart
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// What `HTTP2ResponseWriter` writes.
    enum ResponsePart {
        /// A HEADERS block: the response's head, or an interim one.
        case headers(HPACKHeaders, endStream: Bool)
        case body(IOData, endStream: Bool)
        /// The end of a streamed body, after its last piece.
        case end
        /// The response cannot be completed: RST_STREAM with this code, flushed.
        case reset(HTTP2ErrorCode)
    }

    /// Whether the stream's first HEADERS (the request's; later ones are trailers) went by.
    private var sawRequestHead = false
    /// The request was malformed: the stream is reset, and nothing of it goes on.
    private var isRefused = false
    private var held: (payload: HTTP2Frame.FramePayload, promise: EventLoopPromise<Void>?)?
    /// The frame with END_STREAM has been written: the response is complete. Not when it
    /// goes down the pipeline: nio-http2 queues it while the stream's flow-control window is
    /// shut, and drops it when the stream closes, so that the response was cut.
    private var responseEnded = false
    /// The stream was ended with RST_STREAM (NO_ERROR, or INTERNAL_ERROR for a response that
    /// cannot be completed); a close after that is passed on.
    private var resetSent = false
    /// The write of that RST_STREAM, until it completes: a close meanwhile waits for it.
    private var resetWrite: EventLoopFuture<Void>?

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isRefused else { return }
        switch unwrapInboundIn(data) {
        case .headers(var headers) where !sawRequestHead:
            sawRequestHead = true
            HTTP2RequestAuthority.reconcile(&headers.headers)
            let head: HTTPRequestHead
            do {
                head = try HTTP2Messages.requestHead(headers.headers, endStream: headers.endStream)
            } catch {
                // A malformed request (RFC 9113 §8.1.1) is a stream error, PROTOCOL_ERROR, as
                // for those nio-http2 finds; no handler sees it, nor what follows it.
                isRefused = true
                _ = writeReset(.protocolError, context: context)
                return
            }
            context.fireChannelRead(wrapInboundOut(.head(head)))
            if headers.endStream { context.fireChannelRead(wrapInboundOut(.end(nil))) }
        case .headers(let trailers):
            context.fireChannelRead(wrapInboundOut(.end(HTTP2Messages.trailers(trailers.headers))))
        case .data(let data):
            guard case .byteBuffer(let bytes) = data.data else {
                // nio-http2 decodes DATA into bytes; a file region here could not be passed on
                // and would lose its END_STREAM (nio-http2's own codec traps the same way).
                preconditionFailure("inbound DATA frame as a file region")
            }
            if bytes.readableBytes > 0 || !data.endStream {
                context.fireChannelRead(wrapInboundOut(.body(bytes)))
            }
            if data.endStream { context.fireChannelRead(wrapInboundOut(.end(nil))) }
        default:
            // Other frames are nio-http2's business.
            break
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { return }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .headers(let block, let endStream):
            send(.headers(.init(headers: block, endStream: endStream)), endsStream: endStream, promise: promise,
                 context: context)
        case .body(let body, let endStream):
            send(.data(.init(data: body, endStream: endStream)), endsStream: endStream, promise: promise,
                 context: context)
        case .end:
            guard let last = held else {
                writeEnd(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true)), promise: promise,
                         context: context)
                return
            }
            held = nil
            writeEnd(Self.endingStream(last.payload), promise: Self.combine(last.promise, promise), context: context)
        case .reset(let code):
            writeHeld(context: context)
            writeReset(code, context: context).cascade(to: promise)
        }
    }

    /// Writes `payload` after the frame held so far: at once when it ends the stream, else
    /// held in its place.
    private func send(_ payload: HTTP2Frame.FramePayload, endsStream: Bool, promise: EventLoopPromise<Void>?,
                      context: ChannelHandlerContext) {
        writeHeld(context: context)
        if endsStream {
            writeEnd(payload, promise: promise, context: context)
        } else {
            held = (payload, promise)
        }
    }

    /// Writes the frame with END_STREAM; the response counts as ended once it is written
    /// (`responseEnded`), before `promise`'s own callbacks run (a close among them).
    private func writeEnd(_ payload: HTTP2Frame.FramePayload, promise: EventLoopPromise<Void>?,
                          context: ChannelHandlerContext) {
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { [self] result in
            if case .success = result { responseEnded = true }
            promise?.completeWith(result)
        }
        context.write(wrapOutboundOut(payload), promise: written)
    }

    func flush(context: ChannelHandlerContext) {
        writeHeld(context: context)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        writeHeld(context: context)
        // nio-http2 fails the frames it holds for the stream as our reset goes down, before the
        // reset reaches the wire, and their callbacks may close the stream (the response's
        // last write is done): passed on at once, that close would make nio-http2 reset the
        // stream with CANCEL first.
        if let resetWrite {
            resetWrite.assumeIsolated().whenComplete { _ in context.close(mode: mode, promise: promise) }
            return
        }
        // Still active after its end was written: the client has not ended its side yet. (Once
        // both sides have ended, nio-http2 has closed the stream already.) An end not written
        // yet is lost with the stream: nio-http2 then resets it with CANCEL, as it should.
        guard responseEnded, !resetSent, context.channel.isActive else {
            context.close(mode: mode, promise: promise)
            return
        }
        _ = writeReset(.noError, context: context)
        if let promise { context.channel.closeFuture.cascade(to: promise) }
    }

    /// Ends the stream with RST_STREAM `code`, flushed; a close after it is passed on.
    private func writeReset(_ code: HTTP2ErrorCode, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        resetSent = true
        // Should nio-http2 refuse the frame, the stream is closed its own way.
        let reset = context.eventLoop.makePromise(of: Void.self)
        resetWrite = reset.futureResult
        reset.futureResult.assumeIsolated().whenComplete { [self] result in
            resetWrite = nil
            if case .failure = result { context.close(promise: nil) }
        }
        context.writeAndFlush(wrapOutboundOut(.rstStream(code)), promise: reset)
        return reset.futureResult
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
    private static func combine(_ first: EventLoopPromise<Void>?,
                                _ second: EventLoopPromise<Void>?) -> EventLoopPromise<Void>? {
        guard let first else { return second }
        guard let second else { return first }
        first.futureResult.cascade(to: second)
        return first
    }
}

@available(*, unavailable)
extension HTTP2StreamAdapter: Sendable {}
