import NIOCore
import NIOHTTP2

/// Sits in front of `NIOHTTP2Handler`: writes the drain's PING and GOAWAY frames past it,
/// holds its output back while the drain waits for the client to catch up, and drops what the
/// client sends once the final GOAWAY is decided, but for the answer to the PING that goes
/// with it (`HTTP2FrameHeads`; `HTTP2ConnectionHandler` drives it).
///
/// Why past nio-http2: once it has sent a GOAWAY and no stream is open, nio-http2 counts the
/// connection finished and answers any later frame (a WINDOW_UPDATE from a client still
/// reading, the drain PING's answer, a request already on the wire) with a connection error
/// and a GOAWAY PROTOCOL_ERROR of its own. Clients then failed the streams they had just
/// opened, and the close that followed cut answers still queued below nio-http2 (file chunks
/// for TLS, TLS records) short. nio-http2 never learns of these GOAWAY frames, so it goes on
/// taking frames until the connection closes; streams the client opens after the final
/// GOAWAY are not served (`isClosed`, checked when a stream is set up), as that GOAWAY says.
/// (nio-http2 takes a PING answer it did not ask for, as RFC 9113 allows.)
///
/// Why output is held: see `HTTP2ConnectionStateMachine`'s probe. What is held is kept from
/// the channel, which therefore stays writable, so nio-http2 goes on sending as much as the
/// client's windows allow: past a high-water mark of held bytes, the probe ends
/// early (the first GOAWAY goes out at once, ahead of what was held, as it would without a
/// probe), where it held hundreds of megabytes for clients that opened large windows.
final class HTTP2InputGate: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = ByteBuffer

    /// Whether the final GOAWAY is decided: input is dropped and new streams are not served.
    /// Only ever set, on the channel's event loop.
    private(set) var isClosed = false
    /// Where the client's frames begin, so that the final PING's answer is found in what is
    /// dropped.
    private var frames = HTTP2FrameHeads()
    /// The PING that goes with the final GOAWAY, once that is decided.
    private var finalPing: HTTP2PingData?
    /// Called when the client has answered the final PING, before the end of the read
    /// (`channelReadComplete`) that brought the answer.
    var finalPingAnswered: ((HTTP2PingData) -> Void)?
    /// What nio-http2 wrote while output is held, in order; nil while it is not.
    private var held: [(data: NIOAny, promise: EventLoopPromise<Void>?)]?
    /// The bytes held.
    private var heldBytes = 0
    /// How many held bytes end the hold early: NIO's default high-water mark, which the
    /// server's channels keep.
    static let heldBytesLimit = 64 * 1024
    /// Whether the first GOAWAY (the largest stream id) is out.
    private var announced = false
    /// Called, on the next turn of the loop, when the hold has ended early.
    var holdEndedEarly: (() -> Void)?
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failHeld()
        self.context = nil
    }

    /// The final GOAWAY is decided: drops input from now on, but for the answer to `ping`.
    func close(awaitingAnswerTo ping: HTTP2PingData) {
        isClosed = true
        finalPing = ping
    }

    /// Writes and flushes a PING with `ping` below nio-http2, after everything written so
    /// far, and holds back what nio-http2 writes after it until `announce` (or a close).
    func holdOutput(behindPing ping: HTTP2PingData) {
        guard let context, held == nil else { return }
        context.writeAndFlush(wrapOutboundOut(pingFrame(ping, context: context)), promise: nil)
        held = []
        heldBytes = 0
    }

    /// Writes and flushes the first GOAWAY (the largest stream id) below nio-http2, after
    /// everything written so far and ahead of what is held back, which follows it. Once: the
    /// hold may have ended early with it.
    func announce() {
        guard let context else { return }
        announce(context: context)
        context.flush()
    }

    /// Writes and flushes the final GOAWAY frame, with `lastStreamID`, and the PING passed to
    /// `close(awaitingAnswerTo:)` below nio-http2, after everything written so far.
    func writeFinalGoAway(lastStreamID: HTTP2StreamID) {
        guard let context, let finalPing else { return }
        context.write(wrapOutboundOut(goAwayFrame(lastStreamID: lastStreamID, context: context)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(pingFrame(finalPing, context: context)), promise: nil)
    }

    /// The first GOAWAY, then what was held, not flushed.
    private func announce(context: ChannelHandlerContext) {
        guard !announced else { return }
        announced = true
        context.write(wrapOutboundOut(goAwayFrame(lastStreamID: .maxID, context: context)), promise: nil)
        releaseHeld(context: context)
    }

    private func pingFrame(_ ping: HTTP2PingData, context: ChannelHandlerContext) -> ByteBuffer {
        // RFC 9113 §6.7: PING (6); its payload is the opaque data.
        var frame = Self.connectionFrame(type: 6, context: context)
        frame.writeInteger(ping.integer)
        return frame
    }

    private func goAwayFrame(lastStreamID: HTTP2StreamID, context: ChannelHandlerContext) -> ByteBuffer {
        // RFC 9113 §6.8: GOAWAY (7); its payload is the last stream id (31 bits) and the
        // error code.
        var frame = Self.connectionFrame(type: 7, context: context)
        frame.writeInteger(UInt32(Int32(lastStreamID)))
        frame.writeInteger(UInt32(HTTP2ErrorCode.noError.networkCode))
        return frame
    }

    /// The head of a frame on stream 0 with an 8-byte payload, no flags (RFC 9113 §4.1): what
    /// both PING and GOAWAY (without debug data) are.
    private static func connectionFrame(type: UInt8, context: ChannelHandlerContext) -> ByteBuffer {
        var frame = context.channel.allocator.buffer(capacity: 17)
        frame.writeBytes([0, 0, 8, type, 0, 0, 0, 0, 0])
        return frame
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let answered = frames.scan(unwrapInboundIn(data), forAnswerTo: finalPing)
        guard isClosed else { return context.fireChannelRead(data) }
        if answered, let finalPing {
            finalPingAnswered?(finalPing)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failHeld()
        context.fireChannelInactive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard held != nil else { return context.write(data, promise: promise) }
        held?.append((data, promise))
        heldBytes += unwrapOutboundIn(data).readableBytes
        if heldBytes > Self.heldBytesLimit {
            // Not flushed from inside nio-http2's write (it may be between a frame's header
            // and its payload, and a completion could write in between): on the next turn,
            // where the connection's handler learns of it too.
            announce(context: context)
            context.eventLoop.assumeIsolated().execute { [self] in
                context.flush()
                holdEndedEarly?()
            }
        }
    }

    func flush(context: ChannelHandlerContext) {
        // What is held is flushed when it is released.
        if held == nil {
            context.flush()
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // A close goes after everything written before it, as it would without the hold.
        if held != nil {
            releaseHeld(context: context)
            context.flush()
        }
        context.close(mode: mode, promise: promise)
    }

    private func releaseHeld(context: ChannelHandlerContext) {
        guard let writes = held else { return }
        held = nil
        for write in writes {
            context.write(write.data, promise: write.promise)
        }
    }

    private func failHeld() {
        guard let writes = held else { return }
        held = nil
        for write in writes {
            write.promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }
}

@available(*, unavailable)
extension HTTP2InputGate: Sendable {}
