import NIOCore

/// Closes a TLS connection at once when the client has closed its side after the server
/// began closing. NIOSSL sends `close_notify` and then waits (up to its shutdown timeout) for
/// the client's; a client that just closes TCP (most do) sends none, and without this the
/// socket would sit in CLOSE-WAIT for the whole wait, holding a `max_connections` slot.
///
/// Two handlers share one state: `closeRequests` sits above the TLS handler and sees the
/// close the HTTP side asks for; `socketSide` sits below it and sees the client's end of
/// input, and closes the socket directly, where TLS does not hold the close back.
enum TLSPromptClose {
    /// The handlers for one connection: put `socketSide` before the TLS handler and
    /// `closeRequests` right after it.
    static func handlers() -> (socketSide: SocketSide, closeRequests: CloseRequests) {
        let state = State()
        return (SocketSide(state: state), CloseRequests(state: state))
    }

    /// Whether the server has begun closing; read and written on the channel's event loop only.
    final class State: @unchecked Sendable {
        var closing = false
    }

    /// Notes a close asked for above TLS.
    final class CloseRequests: ChannelOutboundHandler, RemovableChannelHandler {
        typealias OutboundIn = NIOAny
        private let state: State

        init(state: State) {
            self.state = state
        }

        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            if mode == .all { state.closing = true }
            context.close(mode: mode, promise: promise)
        }
    }

    /// Closes the socket when the client's input ends after a close began.
    final class SocketSide: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        private let state: State

        init(state: State) {
            self.state = state
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if state.closing, case ChannelEvent.inputClosed = event {
                // From this context the close goes straight to the socket, past TLS.
                context.close(promise: nil)
                return
            }
            context.fireUserInboundEventTriggered(event)
        }
    }
}
