import NIOCore
import NIOTLS

/// Closes a TLS connection whose handshake has not completed by `read_header`, on listeners
/// that choose the protocol in the handshake (ALPN): there the HTTP handlers, which time the
/// handshake otherwise, only join the pipeline once it is done.
///
/// It also keeps a drain that starts during the handshake: nothing would hear
/// `ChannelShouldQuiesceEvent` yet, so it is passed on again once the protocol's handlers are
/// in place (they are added while the completed handshake passes through here).
final class TLSHandshakeDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var quiesceRequested = false

    init(timeout: Duration) {
        self.timeout = TimeAmount(timeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) { loopBound.value.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let tlsEvent as TLSUserEvent:
            guard case .handshakeCompleted = tlsEvent else {
                context.fireUserInboundEventTriggered(event)
                return
            }
            timer?.cancel()
            timer = nil
            context.fireUserInboundEventTriggered(event)
            if quiesceRequested { context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case is ChannelShouldQuiesceEvent:
            quiesceRequested = true
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }
}

@available(*, unavailable)
extension TLSHandshakeDeadline: Sendable {}
