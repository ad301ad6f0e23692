import NIOCore
import NIOHTTP2

/// Sits behind `NIOHTTP2Handler` on an HTTP/2 connection and closes it when
/// `HTTP2ConnectionStateMachine` says: idle, or drained with two GOAWAY frames when the
/// server sends `ChannelShouldQuiesceEvent` (which `HTTP2StreamAdapter` keeps from the
/// streams: each answers its request as usual).
final class HTTP2ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// Goes in front of `NIOHTTP2Handler`: writes the drain's probe and the GOAWAY frames and
    /// final PING, holds output back during the probe, closed when the final GOAWAY is decided.
    let inputGate = HTTP2InputGate()
    /// The deadlines of the connection's streams, on one timer.
    let streamTimers: HTTP2StreamTimers
    private let configuration: HTTPServerConfiguration
    private var machine: HTTP2ConnectionStateMachine
    private var timer = EarliestDeadlineTimer()
    /// Bounds the wait for the final PING's answer.
    private var stalled: Scheduled<Void>?
    /// The next look, during that wait, at whether the client is gone.
    private var goneCheck: Scheduled<Void>?
    /// Whether the kernel has given up hearing from the client (`LingeringClose.clientIsGone`);
    /// the seam tests fake.
    var clientIsGone: @Sendable (any Channel) -> EventLoopFuture<Bool> = LingeringClose.clientIsGone
    private var context: ChannelHandlerContext?

    /// - Parameter eventLoop: the connection's.
    init(configuration: HTTPServerConfiguration, eventLoop: any EventLoop) {
        self.configuration = configuration
        streamTimers = HTTP2StreamTimers(eventLoop: eventLoop)
        machine = HTTP2ConnectionStateMachine(configuration: configuration, now: .now())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // All times come from the event loop's clock, which tests can advance.
        machine = HTTP2ConnectionStateMachine(configuration: configuration, now: context.eventLoop.now)
        self.context = context
        inputGate.holdEndedEarly = { [weak self] in self?.probeEndedEarly() }
        // The gate drops the answer (nio-http2 sees nothing after the final GOAWAY); the
        // machine acts on it at the end of the read, as on the others.
        inputGate.finalPingAnswered = { [weak self] ping in self?.machine.pingAcknowledged(ping) }
        armTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        timer.cancel()
        stopWaitingForTheAnswer()
        streamTimers.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if case .ping(let ping, ack: true) = frame.payload {
            machine.pingAcknowledged(ping)
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        perform(machine.readComplete(now: context.eventLoop.now), context: context)
        armTimer()
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch HTTP2StreamEvent(event) {
        case .created(let id):
            machine.streamCreated(id)
            armTimer()
        case .closed(let id):
            streamClosed(id)
        case .windowUpdated:
            break
        case .other:
            otherEventTriggered(context: context, event: event)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func otherEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            perform(machine.drainStarted(now: context.eventLoop.now), context: context)
            armTimer()
        case ChannelEvent.inputClosed:
            // The server allows half-closed connections for HTTP/1.1's sake; an HTTP/2
            // client that shuts down its side is done with the connection.
            context.close(promise: nil)
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // nio-http2 has reset the stream of a stream error (`HTTP2MalformedRequest`), and
        // carries on. For a connection error (a protocol violation, a flood, a header block
        // over the limit) it has sent GOAWAY and leaves closing to its user; an I/O error
        // ends the connection anyway. Once the final GOAWAY is on its way, the connection
        // closes when its PING is answered: what is queued before it must go out first.
        if !HTTP2MalformedRequest.isStreamError(error) && !inputGate.isClosed {
            context.close(promise: nil)
        }
        context.fireErrorCaught(error)
    }

    /// The probe held more than the gate keeps: the first GOAWAY is out already.
    private func probeEndedEarly() {
        guard let context else { return }
        perform(machine.probeEndedEarly(now: context.eventLoop.now), context: context)
        armTimer()
    }

    private func streamClosed(_ id: HTTP2StreamID) {
        guard let context else { return }
        perform(machine.streamClosed(id, now: context.eventLoop.now), context: context)
        armTimer()
    }

    private func perform(_ action: HTTP2ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .probeClient:
            inputGate.holdOutput(behindPing: HTTP2ConnectionStateMachine.probePing)
        case .announceDrain:
            inputGate.announce()
            write(.ping(HTTP2ConnectionStateMachine.drainPing, ack: false), context: context)
            context.flush()
        case .sendFinalGoAway(let lastStreamID):
            inputGate.close(awaitingAnswerTo: HTTP2ConnectionStateMachine.finalPing)
            // The last stream usually ends inside nio-http2's own write of its final frame,
            // which reports the stream closed before it writes that frame: the GOAWAY and
            // PING are written on the next turn of the loop, after it. A client that reads
            // nothing, or does not answer, would keep the connection for ever: as an HTTP/1.1
            // response, it gets the write timeout.
            context.eventLoop.assumeIsolated().execute { [inputGate] in
                inputGate.writeFinalGoAway(lastStreamID: lastStreamID)
            }
            scheduleStallCheck(in: TimeAmount(configuration.writeTimeout), context: context)
            scheduleGoneCheck(context: context)
        case .close:
            stopWaitingForTheAnswer()
            // The client has read everything up to the PING: the lingering close need not
            // wait for its close (TLS sends its close_notify on the way out).
            context.triggerUserOutboundEvent(LingeringClose.ClientHasRead(), promise: nil)
            context.close(promise: nil)
        }
    }

    /// At the write timeout, closes the connection unless the kernel is still sending what
    /// is queued ahead of the final PING (`TransmissionProgress`), as HTTP/1.1 judges a
    /// response: a client reading the last answers steadily, but slower than it takes to
    /// write them, is not cut short (it lost their last bytes). A client that made no
    /// progress for that long, and has not answered, is not waited for any longer: no
    /// lingering either.
    private func scheduleStallCheck(in delay: TimeAmount, context: ChannelHandlerContext) {
        let writeTimeout = TimeAmount(configuration.writeTimeout)
        stalled = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            TransmissionProgress.check(context.channel) { [self] sinceProgress in
                guard stalled != nil else { return }
                if let wait = TransmissionProgress.remaining(of: writeTimeout, sinceProgress: sinceProgress) {
                    scheduleStallCheck(in: wait, context: context)
                } else {
                    closeAtOnce(context: context)
                }
            }
        }
    }

    /// A client that vanishes (a phone that lost its network) after the final GOAWAY never
    /// answers, and would keep the connection, and a drain, for the write timeout: the
    /// kernel's retransmissions of the GOAWAY and PING tell it is gone within seconds, as
    /// they tell the lingering close. As there, only once NIO has given the kernel
    /// everything: while it still holds some of the last answer, the write timeout judges
    /// the client, as it judges an HTTP/1.1 answer's.
    private func scheduleGoneCheck(context: ChannelHandlerContext) {
        goneCheck = context.eventLoop.assumeIsolated().scheduleTask(in: LingeringClose.longestCheckInterval) { [self] in
            clientIsGone(context.channel).hop(to: context.eventLoop).assumeIsolated().whenSuccess { [self] gone in
                guard stalled != nil else { return }
                if gone && !Self.holdsUnwrittenBytes(context.channel) {
                    closeAtOnce(context: context)
                } else {
                    scheduleGoneCheck(context: context)
                }
            }
        }
    }

    private static func holdsUnwrittenBytes(_ channel: any Channel) -> Bool {
        ((try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0) > 0
    }

    private func stopWaitingForTheAnswer() {
        stalled?.cancel()
        stalled = nil
        goneCheck?.cancel()
        goneCheck = nil
    }

    /// Closes without lingering: the client has not answered and takes nothing more.
    private func closeAtOnce(context: ChannelHandlerContext) {
        stopWaitingForTheAnswer()
        context.triggerUserOutboundEvent(LingeringClose.CloseAtOnce(), promise: nil)
        context.close(promise: nil)
    }

    private func write(_ payload: HTTP2Frame.FramePayload, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: payload)), promise: nil)
    }

    /// The timer is left set when the deadline is gone (streams opened): when it fires,
    /// nothing has passed. So a busy connection, whose streams all end after each burst of
    /// requests, does not schedule and cancel a task per burst.
    private func armTimer() {
        guard let context, let deadline = machine.nextDeadline else { return }
        timer.arm(at: deadline, on: context.eventLoop, owner: self)
    }
}

extension HTTP2ConnectionHandler: DeadlineOwner {
    func deadlinePassed() {
        timer.fired()
        guard let context else { return }
        perform(machine.timerFired(now: context.eventLoop.now), context: context)
        armTimer()
    }
}

@available(*, unavailable)
extension HTTP2ConnectionHandler: Sendable {}
