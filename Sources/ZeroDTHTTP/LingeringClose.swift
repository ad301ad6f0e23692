#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Closes connections as nginx's `lingering_close` does, so that the end of an answer is not
/// lost: first the output (the kernel sends what is queued, then FIN), then the socket, once
/// the client has acknowledged every byte and the FIN (unless it talks while it reads:
/// `clientTalksWhileReading`), or has closed its side, or has left `unansweredLimit`
/// retransmissions in a row unanswered (gone, as a phone that lost its network), or once it
/// has made no progress for `maximumLinger` (`TransmissionProgress`, as the write timeout
/// judges an answer). Meanwhile what the client sends is read and dropped.
///
/// Why: the kernel resets a connection whose socket is closed with unread input, or that
/// receives input after the close, and throws away every byte it has not sent yet. A client
/// still sends while it reads a long answer (HTTP/2 WINDOW_UPDATE frames, a TLS
/// `close_notify`, pipelined requests), so a plain close cut slow downloads short by
/// megabytes, most of all when a drain closed them and the process exited.
///
/// Sits at the socket end of every connection's pipeline, below TLS; a plain HTTP/1
/// connection's handler adds it there when it first closes the connection (an idle
/// connection need not carry it).
final class LingeringClose: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny
    typealias OutboundIn = NIOAny

    /// Sent down the pipeline (`triggerUserOutboundEvent`) before a close that must not wait:
    /// a drain's deadline, or a client that has been waited for already and made no progress.
    struct CloseAtOnce: Sendable {}

    /// Sent down the pipeline (`triggerUserOutboundEvent`) before a close once the client has
    /// shown that it has read everything written so far (it answered an HTTP/2 PING written
    /// after it): the linger then waits only for the kernel to deliver the rest (TLS
    /// `close_notify`, the FIN), however much the client talks. What the client sends after
    /// that can only reset what it no longer needs.
    struct ClientHasRead: Sendable {}

    /// Where the answer stands, as the kernel sees it.
    enum Delivery: Sendable {
        /// The client has acknowledged every byte and the FIN (or the socket is not TCP).
        case delivered
        /// Bytes or the FIN are still unacknowledged, and the client is acknowledging.
        case underWay
        /// The client has left `unansweredLimit` retransmissions (or window probes) in a row
        /// unanswered.
        case gone
    }

    /// Asks the kernel where the answer stands; the seam tests fake.
    typealias DeliveryCheck = @Sendable (any Channel) -> EventLoopFuture<Delivery>

    /// Calls its closure with how long ago the socket last made progress, nil where nothing
    /// is known (`TransmissionProgress.check`); the seam tests fake.
    typealias ProgressCheck = (any Channel, @escaping (TimeAmount?) -> Void) -> Void

    /// How many of the kernel's retransmissions (or zero-window probes) in a row a client may
    /// leave unanswered before the socket closes, the role of nginx's `lingering_timeout`. A
    /// client that reads slowly, or has paused, answers the probes (the kernel backs them off
    /// to one every 12 s and more, so the time since its last acknowledgement says nothing);
    /// three unanswered in a row, a second or more apart, mean it is gone.
    static let unansweredLimit: UInt8 = 3

    /// The first look at the socket is right after the output closes (on loopback the
    /// client's acknowledgement is usually in by then); the next ones back off to at most
    /// `longestCheckInterval`, so that a slow client costs a few checks a second.
    static let firstCheckInterval = TimeAmount.milliseconds(5)
    static let longestCheckInterval = TimeAmount.milliseconds(200)

    /// An acknowledgement says the bytes are in the client's kernel, not that the client has
    /// read them. A client that talks while it reads (an HTTP/2 client sends WINDOW_UPDATE
    /// frames as it consumes an answer, and answers PINGs once it reaches them) may still be
    /// reading the last hundreds of KiB from its own buffer, and whatever it sends after the
    /// close makes the kernel answer with a reset, on which such clients abort. Its reading
    /// pace says nothing about when it is done (one that updates its window every half window
    /// may be silent for many seconds), and the kernel stops telling its window once it has
    /// our FIN, so only its own close, `ClientHasRead`, or `maximumLinger` without progress
    /// ends the wait. Set for HTTP/2; a client that has sent anything while the connection
    /// lingered is waited for the same way. An HTTP/1 client that says nothing needs no such
    /// wait (it reads without sending).
    var clientTalksWhileReading = false
    /// Whether the client has shown that it has read everything written before the close
    /// (`ClientHasRead`).
    private var clientHasRead = false

    private enum State {
        case open
        /// A close must not wait (`CloseAtOnce`), or the client has closed its side: nothing
        /// it sends can reset the connection any more.
        case closesAtOnce
        /// Boxed (`indirect`): held inline, the linger's promise and timers made every open
        /// connection's handler twice as large.
        indirect case lingering(Linger)
        case closed
    }

    private struct Linger {
        var promise: EventLoopPromise<Void>?
        /// The next time the client's progress is judged.
        var deadline: Scheduled<Void>
        var interval: TimeAmount
        var check: Scheduled<Void>?
        /// Whether the client has sent anything while the connection lingered.
        var heard = false
    }

    private var state = State.open
    private let maximumLinger: TimeAmount
    private let isDelivered: DeliveryCheck
    private let madeProgress: ProgressCheck
    /// The channel's high-water mark is a byte (`HTTPConnectionHandler.confirmingWaterMark`):
    /// its writability says only whether any byte is unwritten, so the unwritten bytes are
    /// counted against NIO's default mark instead.
    private let countsUnwrittenBytes: Bool

    /// NIO's default high-water mark (NIOPosix keeps it internal): a close that leaves more
    /// unwritten abandons the answer.
    static let defaultHighWaterMark = 64 * 1024

    /// - Parameters:
    ///   - maximumLinger: the longest a lingering connection may make no progress: the
    ///     server's write timeout, the time a client is given to take more of its answer.
    ///   - countsUnwrittenBytes: the channel's high-water mark is a byte, so its writability
    ///     does not tell whether a close abandons the answer: its unwritten bytes do.
    ///   - isDelivered: where the answer stands.
    ///   - madeProgress: how long ago the kernel last sent the client more of its answer
    ///     and had some acknowledged.
    init(maximumLinger: TimeAmount, countsUnwrittenBytes: Bool = false,
         isDelivered: @escaping DeliveryCheck = LingeringClose.askKernel,
         madeProgress: @escaping ProgressCheck = TransmissionProgress.check) {
        self.maximumLinger = maximumLinger
        self.countsUnwrittenBytes = countsUnwrittenBytes
        self.isDelivered = isDelivered
        self.madeProgress = madeProgress
    }

    /// Whether closing `channel` now gives up on its answer: more than the high-water mark
    /// of it is unwritten (a file cut short, a client that stopped reading).
    private func abandonsAnswer(_ channel: any Channel) -> Bool {
        guard !channel.isWritable else { return false }
        guard countsUnwrittenBytes, let unwritten = try? channel.syncOptions?.getOption(.bufferedWritableBytes) else {
            return true
        }
        return unwritten > Self.defaultHighWaterMark
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch state {
        case .open where mode == .all && context.channel.isActive && !abandonsAnswer(context.channel):
            // (A close that leaves more than the high-water mark unwritten abandons the
            // answer: a file cut short, a client that stopped reading. Nothing to wait for.)
            state = .lingering(Linger(promise: promise, deadline: judgeProgress(in: maximumLinger, context: context),
                                      interval: Self.firstCheckInterval))
            // NIO shuts the output once its pending writes are in the kernel: the checks
            // start then (on a failure too: the output was shut already, or the channel is
            // closing).
            let outputClosed = context.eventLoop.makePromise(of: Void.self)
            context.close(mode: .output, promise: outputClosed)
            context.read()
            outputClosed.futureResult.assumeIsolated().whenComplete { _ in self.check(context: context) }
        case .lingering(var linger) where mode == .all:
            // A second close completes with the first.
            guard let promise else { return }
            if let first = linger.promise {
                first.futureResult.cascade(to: promise)
            } else {
                linger.promise = promise
                state = .lingering(linger)
            }
        default:
            context.close(mode: mode, promise: promise)
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if event is ClientHasRead {
            clientHasRead = true
            promise?.succeed()
            return
        }
        guard event is CloseAtOnce else {
            return context.triggerUserOutboundEvent(event, promise: promise)
        }
        if case .lingering = state {
            closeSocket(context: context)
        } else if case .open = state {
            state = .closesAtOnce
        }
        promise?.succeed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Dropped while lingering: the connection is closing.
        guard case .lingering(var linger) = state else { return context.fireChannelRead(data) }
        if !linger.heard {
            linger.heard = true
            state = .lingering(linger)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard case .lingering = state else { return context.fireChannelReadComplete() }
        // The handlers above may have stopped asking for reads; this one asks until the end.
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            switch state {
            case .open:
                state = .closesAtOnce
            case .lingering:
                return closeSocket(context: context)
            case .closesAtOnce, .closed:
                break
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .lingering(let linger) = state {
            linger.check?.cancel()
            linger.deadline.cancel()
            linger.promise?.succeed()
        }
        state = .closed
        context.fireChannelInactive()
    }

    private func check(context: ChannelHandlerContext) {
        guard case .lingering = state else { return }
        isDelivered(context.channel).assumeIsolated().whenComplete { result in
            guard case .lingering(var linger) = self.state else { return }
            switch result {
            case .success(.underWay):
                break
            case .success(.delivered) where (self.clientTalksWhileReading || linger.heard) && !self.clientHasRead:
                // All in the client's kernel, perhaps not yet read: its close or
                // `maximumLinger` without progress ends the wait. The kernel has nothing
                // more to tell.
                linger.check = nil
                self.state = .lingering(linger)
                return
            default:
                return self.closeSocket(context: context)
            }
            linger.check = context.eventLoop.assumeIsolated().scheduleTask(in: linger.interval) {
                self.check(context: context)
            }
            linger.interval = min(linger.interval * 2, Self.longestCheckInterval)
            self.state = .lingering(linger)
        }
    }

    /// Judges the client after `delay` (at first `maximumLinger`): one still taking its
    /// answer (the kernel sent it new data and it acknowledged some within `maximumLinger`)
    /// is judged again `maximumLinger` after that progress; one that made none is cut. As
    /// the write timeout judges an answer: a slow but steady reader still taking the last
    /// MiBs is not cut short.
    private func judgeProgress(in delay: TimeAmount, context: ChannelHandlerContext) -> Scheduled<Void> {
        context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            self.madeProgress(context.channel) { sinceProgress in
                guard case .lingering(var linger) = self.state else { return }
                guard let wait = TransmissionProgress.remaining(of: self.maximumLinger, sinceProgress: sinceProgress) else {
                    return self.closeSocket(context: context)
                }
                linger.deadline = self.judgeProgress(in: wait, context: context)
                self.state = .lingering(linger)
            }
        }
    }

    private func closeSocket(context: ChannelHandlerContext) {
        guard case .lingering(let linger) = state else { return }
        linger.check?.cancel()
        linger.deadline.cancel()
        state = .closed
        context.close(mode: .all, promise: linger.promise)
    }

    /// Where the answer stands: delivered once the kernel has had our FIN acknowledged, and
    /// with it every byte before it; also for a socket that is not TCP (a unix socket), whose
    /// bytes are in the client's buffer once NIO has written them (the checks start once the
    /// output is shut, after that), and when the kernel cannot say.
    @Sendable static func askKernel(_ channel: any Channel) -> EventLoopFuture<Delivery> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(.delivered)
        }
        return provider.getTCPInfo().map { info in
            // FIN_WAIT_1, CLOSING: our FIN is out, not yet acknowledged.
            guard info.tcpi_state == UInt8(TCP_FIN_WAIT1) || info.tcpi_state == UInt8(TCP_CLOSING) else {
                return .delivered
            }
            return isGone(info) ? .gone : .underWay
        }.recover { _ in .delivered }
    }

    /// Whether the client has left `unansweredLimit` of the kernel's retransmissions (or
    /// window probes) in a row unanswered, in whatever state the connection is: it is gone.
    /// False for a socket that is not TCP, and when the kernel cannot say.
    @Sendable static func clientIsGone(_ channel: any Channel) -> EventLoopFuture<Bool> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(false)
        }
        return provider.getTCPInfo().map(isGone).recover { _ in false }
    }

    private static func isGone(_ info: tcp_info) -> Bool {
        max(info.tcpi_retransmits, info.tcpi_probes) >= unansweredLimit
    }
}

@available(*, unavailable)
extension LingeringClose: Sendable {}
