#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Closes connections as nginx's `lingering_close` does, so that the end of an answer is not
/// lost: first the output (the kernel sends what is queued, then FIN), then the socket, once
/// the client has acknowledged every byte and the FIN, or has closed its side, or has
/// acknowledged nothing for `silenceLimit` (gone, as a phone that lost its network), or at the
/// latest after `maximumLinger`. Meanwhile what the client sends is read and dropped.
///
/// Why: the kernel resets a connection whose socket is closed with unread input, or that
/// receives input after the close, and throws away every byte it has not sent yet. A client
/// still sends while it reads a long answer (HTTP/2 WINDOW_UPDATE frames, a TLS
/// `close_notify`, pipelined requests), so a plain close cut slow downloads short by
/// megabytes, most of all when a drain closed them and the process exited.
///
/// Sits at the socket end of every connection's pipeline, below TLS.
final class LingeringClose: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny
    typealias OutboundIn = NIOAny

    /// Sent down the pipeline (`triggerUserOutboundEvent`) before a close that must not wait:
    /// a drain's deadline.
    struct CloseAtOnce: Sendable {}

    /// Where the answer stands, as the kernel sees it.
    enum Delivery: Sendable {
        /// The client has acknowledged every byte and the FIN (or the socket is not TCP).
        case delivered
        /// Bytes or the FIN are still unacknowledged, and the client is acknowledging.
        case underWay
        /// The client has acknowledged nothing for `silenceLimit`.
        case silent
    }

    /// Asks the kernel where the answer stands; the seam tests fake.
    typealias DeliveryCheck = @Sendable (any Channel) -> EventLoopFuture<Delivery>

    /// How long a client may acknowledge nothing before the socket closes: nginx's
    /// `lingering_timeout`. A client that reads slowly still acknowledges (the kernel's
    /// window probes), so this ends lingering only for a client that is gone.
    static let silenceLimit = TimeAmount.seconds(5)

    /// The first look at the socket is right after the output closes (on loopback the
    /// client's acknowledgement is usually in by then); the next ones back off to at most
    /// `longestCheckInterval`, so that a slow client costs a few checks a second.
    static let firstCheckInterval = TimeAmount.milliseconds(5)
    static let longestCheckInterval = TimeAmount.milliseconds(200)

    private enum State {
        case open
        /// A close must not wait (`CloseAtOnce`), or the client has closed its side: nothing
        /// it sends can reset the connection any more.
        case closesAtOnce
        case lingering(Linger)
        case closed
    }

    private struct Linger {
        var promise: EventLoopPromise<Void>?
        var deadline: NIODeadline
        var interval: TimeAmount
        var check: Scheduled<Void>?
    }

    private var state = State.open
    private let maximumLinger: TimeAmount
    private let isDelivered: DeliveryCheck

    /// - Parameters:
    ///   - maximumLinger: the longest a connection lingers once its close is asked for: the
    ///     server's write timeout, the time a client is given to take an answer.
    ///   - isDelivered: where the answer stands.
    init(maximumLinger: TimeAmount, isDelivered: @escaping DeliveryCheck = LingeringClose.askKernel) {
        self.maximumLinger = maximumLinger
        self.isDelivered = isDelivered
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch state {
        case .open where mode == .all && context.channel.isActive && context.channel.isWritable:
            // (A close that leaves more than the high-water mark unwritten abandons the
            // answer: a file cut short, a client that stopped reading. Nothing to wait for.)
            state = .lingering(Linger(promise: promise, deadline: context.eventLoop.now + maximumLinger,
                                      interval: Self.firstCheckInterval))
            // NIO shuts the output once its pending writes are in the kernel; until then the
            // kernel reports the connection established, which the checks take as not yet.
            context.close(mode: .output, promise: nil)
            context.read()
            check(context: context)
        case .lingering(let linger) where mode == .all:
            // A second close completes with the first.
            if let promise {
                if let first = linger.promise { first.futureResult.cascade(to: promise) } else { promise.succeed() }
            }
        default:
            context.close(mode: mode, promise: promise)
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
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
        guard case .lingering = state else { return context.fireChannelRead(data) }
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
            linger.promise?.succeed()
        }
        state = .closed
        context.fireChannelInactive()
    }

    private func check(context: ChannelHandlerContext) {
        guard case .lingering(let linger) = state else { return }
        guard context.eventLoop.now < linger.deadline else { return closeSocket(context: context) }
        isDelivered(context.channel).assumeIsolated().whenComplete { result in
            guard case .lingering(var linger) = self.state else { return }
            guard case .success(.underWay) = result else { return self.closeSocket(context: context) }
            linger.check = context.eventLoop.assumeIsolated().scheduleTask(in: linger.interval) {
                self.check(context: context)
            }
            linger.interval = min(linger.interval * 2, Self.longestCheckInterval)
            self.state = .lingering(linger)
        }
    }

    private func closeSocket(context: ChannelHandlerContext) {
        guard case .lingering(let linger) = state else { return }
        linger.check?.cancel()
        state = .closed
        context.close(mode: .all, promise: linger.promise)
    }

    /// Where the answer stands: delivered once the kernel has had our FIN acknowledged, and
    /// with it every byte before it; also for a socket that is not TCP (a unix socket), whose
    /// bytes are in the client's buffer as soon as they are written, and when the kernel
    /// cannot say.
    @Sendable static func askKernel(_ channel: any Channel) -> EventLoopFuture<Delivery> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(.delivered)
        }
        return provider.getTCPInfo().map { info in
            // ESTABLISHED: the output is not shut yet (NIO still writes what is queued);
            // FIN_WAIT_1, CLOSING: our FIN is out, not yet acknowledged.
            let states = [TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_CLOSING].map { UInt8($0) }
            guard states.contains(info.tcpi_state) else { return .delivered }
            let silence = TimeAmount.milliseconds(Int64(info.tcpi_last_ack_recv))
            return silence >= silenceLimit ? .silent : .underWay
        }.recover { _ in .delivered }
    }
}

@available(*, unavailable)
extension LingeringClose: Sendable {}
