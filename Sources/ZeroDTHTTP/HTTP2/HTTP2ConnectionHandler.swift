import NIOCore
import NIOHTTP2

/// Sits behind `NIOHTTP2Handler` on an HTTP/2 connection and closes it when
/// `HTTP2ConnectionStateMachine` says: idle, or drained with two GOAWAY frames when the
/// server sends `ChannelShouldQuiesceEvent`. (nio-http2 passes that event on to every stream
/// too: each answers its request as usual, and ends.)
final class HTTP2ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let configuration: HTTPServerConfiguration
    private var machine: HTTP2ConnectionStateMachine
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    init(configuration: HTTPServerConfiguration) {
        self.configuration = configuration
        machine = HTTP2ConnectionStateMachine(configuration: configuration, now: .now())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // All times come from the event loop's clock, which tests can advance.
        machine = HTTP2ConnectionStateMachine(configuration: configuration, now: context.eventLoop.now)
        armTimer(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if case .ping(let ping, ack: true) = frame.payload {
            perform(machine.pingAcknowledged(ping), context: context)
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let created as NIOHTTP2StreamCreatedEvent:
            machine.streamCreated(created.streamID)
        case is StreamClosedEvent:
            perform(machine.streamClosed(now: context.eventLoop.now), context: context)
        case is ChannelShouldQuiesceEvent:
            perform(machine.drainStarted(now: context.eventLoop.now), context: context)
        default:
            break
        }
        armTimer(context: context)
        context.fireUserInboundEventTriggered(event)
    }

    private func perform(_ action: HTTP2ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .announceDrain:
            write(.goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil), context: context)
            write(.ping(HTTP2ConnectionStateMachine.drainPing, ack: false), context: context)
            context.flush()
        case .sendFinalGoAway(let lastStreamID):
            write(.goAway(lastStreamID: lastStreamID, errorCode: .noError, opaqueData: nil), context: context)
            context.flush()
        case .sendFinalGoAwayAndClose(let lastStreamID):
            write(.goAway(lastStreamID: lastStreamID, errorCode: .noError, opaqueData: nil), context: context)
            context.flush()
            // TLS sends its close_notify on the way out.
            context.close(promise: nil)
        case .close:
            context.close(promise: nil)
        }
    }

    private func write(_ payload: HTTP2Frame.FramePayload, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: payload)), promise: nil)
    }

    /// One timer, moved whenever an event moved the machine's next deadline (not per stream
    /// on a busy connection: while streams are open there is none).
    private func armTimer(context: ChannelHandlerContext) {
        let deadline = machine.nextDeadline
        guard deadline != timerDeadline || (deadline != nil && timer == nil) else { return }
        timer?.cancel()
        timer = nil
        timerDeadline = deadline
        guard let deadline else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            handler.timerDeadline = nil
            handler.perform(handler.machine.timerFired(now: context.eventLoop.now), context: context)
            handler.armTimer(context: context)
        }
    }
}

@available(*, unavailable)
extension HTTP2ConnectionHandler: Sendable {}
