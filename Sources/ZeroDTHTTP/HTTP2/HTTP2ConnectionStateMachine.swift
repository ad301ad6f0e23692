import NIOCore
import NIOHTTP2

/// When an HTTP/2 connection closes: after `idle` without a stream (or `readHeader` before its
/// first), and on a drain by two GOAWAY frames (RFC 9113 §6.8), then once its last stream ends.
///
/// Why two: a client may have sent new streams that the server has not read yet. The first
/// GOAWAY (last stream id 2^31-1) tells it to open no more, a PING goes with it, and once the
/// PING comes back (or `drainGrace` passes) every stream the client opened before it has
/// arrived: the second GOAWAY names the last of them, and each is answered. Streams the client
/// opens after that are refused by nio-http2 and retried by the client on a new connection.
///
/// A connection that has opened no stream yet when the drain starts (its client has just
/// finished the handshake, and its first requests may be on the wire) waits up to
/// `drainGrace` for them before the first GOAWAY: some clients (nghttp2's) give up requests
/// they have queued but not sent once any GOAWAY arrives, instead of retrying them.
/// Pure: events in, actions out; `HTTP2ConnectionHandler` does the I/O and keeps the timer.
struct HTTP2ConnectionStateMachine {
    /// What the connection is doing.
    private enum State {
        /// Serving; nothing was announced.
        case serving
        /// Draining, but no stream came yet: waiting for the first ones (announced at the end
        /// of the read that brings them) or `graceEnds`.
        case awaitingFirstStream(graceEnds: NIODeadline)
        /// The first GOAWAY and a PING are out; waiting for the PING's answer or `graceEnds`.
        case announced(graceEnds: NIODeadline)
        /// The final GOAWAY is out: waiting for the open streams to end.
        case draining
        /// Closing or closed.
        case closed
    }

    /// What the handler does next.
    enum Action: Equatable {
        case none
        /// Send GOAWAY with the maximum stream id and a PING with `drainPing`, flushed.
        case announceDrain
        /// Send GOAWAY with `lastStreamID`, flushed.
        case sendFinalGoAway(lastStreamID: HTTP2StreamID)
        /// Send GOAWAY with `lastStreamID`, then close.
        case sendFinalGoAwayAndClose(lastStreamID: HTTP2StreamID)
        /// Close (the final GOAWAY is out).
        case close
    }

    /// The PING payload the drain waits for: an answer with it means the client has read the
    /// first GOAWAY, and sent everything it sent before it.
    static let drainPing = HTTP2PingData(withInteger: 0x5A45_524F_4454_0001)

    private let readHeaderTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let drainGrace: TimeAmount
    private var state = State.serving
    private var openStreams: Set<HTTP2StreamID> = []
    private var lastStreamID = HTTP2StreamID(0)
    private var sawStream = false
    /// Since when no stream has been open.
    private var idleSince: NIODeadline

    init(configuration: HTTPServerConfiguration, now: NIODeadline) {
        readHeaderTimeout = TimeAmount(configuration.readHeaderTimeout)
        idleTimeout = TimeAmount(configuration.idleTimeout)
        drainGrace = TimeAmount(configuration.drainGrace)
        idleSince = now
    }

    /// The next time `timerFired` has something to do, if any.
    var nextDeadline: NIODeadline? {
        switch state {
        case .serving: return openStreams.isEmpty ? idleSince + (sawStream ? idleTimeout : readHeaderTimeout) : nil
        case .announced(let graceEnds), .awaitingFirstStream(let graceEnds): return graceEnds
        case .draining, .closed: return nil
        }
    }

    mutating func streamCreated(_ id: HTTP2StreamID) {
        openStreams.insert(id)
        sawStream = true
        lastStreamID = max(lastStreamID, id)
    }

    mutating func streamClosed(_ id: HTTP2StreamID, now: NIODeadline) -> Action {
        // By id: nio-http2 may report a stream closed that it never reported created.
        guard openStreams.remove(id) != nil, openStreams.isEmpty else { return .none }
        idleSince = now
        if case .draining = state {
            state = .closed
            return .close
        }
        return .none
    }

    /// The server drains.
    mutating func drainStarted(now: NIODeadline) -> Action {
        guard case .serving = state else { return .none }
        if !sawStream {
            state = .awaitingFirstStream(graceEnds: now + drainGrace)
            return .none
        }
        return announce(now: now)
    }

    /// A read from the socket has been processed: every stream it carried was created.
    mutating func readComplete(now: NIODeadline) -> Action {
        guard case .awaitingFirstStream = state, sawStream else { return .none }
        return announce(now: now)
    }

    /// A PING answer arrived.
    mutating func pingAcknowledged(_ data: HTTP2PingData) -> Action {
        guard data == Self.drainPing, case .announced = state else { return .none }
        return finishAnnouncing()
    }

    mutating func timerFired(now: NIODeadline) -> Action {
        guard let deadline = nextDeadline, deadline <= now else { return .none }
        switch state {
        case .serving:
            state = .closed
            return .sendFinalGoAwayAndClose(lastStreamID: lastStreamID)
        case .announced:
            return finishAnnouncing()
        case .awaitingFirstStream:
            return announce(now: now)
        case .draining, .closed:
            return .none
        }
    }

    mutating func closed() {
        state = .closed
    }

    private mutating func announce(now: NIODeadline) -> Action {
        state = .announced(graceEnds: now + drainGrace)
        return .announceDrain
    }

    private mutating func finishAnnouncing() -> Action {
        if openStreams.isEmpty {
            state = .closed
            return .sendFinalGoAwayAndClose(lastStreamID: lastStreamID)
        }
        state = .draining
        return .sendFinalGoAway(lastStreamID: lastStreamID)
    }
}
