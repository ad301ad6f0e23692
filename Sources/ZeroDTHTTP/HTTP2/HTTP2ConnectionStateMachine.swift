import NIOCore
import NIOHTTP2

/// When an HTTP/2 connection closes: after `idle` without a stream (or `readHeader` before its
/// first), and on a drain by two GOAWAY frames (RFC 9113 §6.8) once its last stream has ended.
///
/// The drain: the first GOAWAY (last stream id 2^31-1) tells the client to open no more
/// streams, and a PING goes with it. Streams the client opened before it saw the GOAWAY (on
/// the wire meanwhile) are served like the others. Once the PING comes back (or `drainGrace`
/// passes), whatever the client sent before it has been read; when the last open stream has
/// ended too, the second GOAWAY names the last stream processed and the connection closes.
/// Streams the client opens after that are not processed, as that GOAWAY tells it.
///
/// Every final GOAWAY (a drain's, an idle connection's) goes with a PING, and the connection
/// closes once that PING is answered: the answer shows that the client has read everything
/// before it (TCP keeps the order), so the close waits for nothing more than the kernel's
/// delivery of its FIN (`LingeringClose.ClientHasRead`). Why: a client that neither closes
/// nor goes quiet on the final GOAWAY could otherwise only be waited for until the write
/// timeout (it may still be reading the end of an answer), holding up a drain and a
/// `max_connections` slot as long; now it costs one round trip if it reads.
/// `HTTP2ConnectionHandler` holds the wait to the write timeout, judged by progress, for a
/// client that does not answer.
///
/// Before the first GOAWAY, a probe: a PING goes out after the answers written so far, and
/// what the connection writes next is held back (`HTTP2InputGate`) until the PING comes back
/// (or `drainGrace` passes); then the GOAWAY goes out, ahead of what was held. Why: an
/// nghttp2-based client (h2load, curl) that reads answers and the GOAWAY in one read has, by
/// the time it reaches the GOAWAY, queued a request for each stream those answers ended, and
/// then fails every one of them itself (REFUSED_STREAM, never sent), where it would have sent
/// them had the GOAWAY come later. The PING's answer means the client has read every answer
/// written before it, and sent the requests they prompted; the GOAWAY, coming after that and
/// ahead of any newer answer, then finds no request waiting. (h2load, 32 connections kept
/// busy through a reload, without the probe: 10 to 190 requests failed this way in 5 runs of
/// 6, and 320 of 640 when the reload came as they opened; with it, none in 13 runs.)
///
/// Both GOAWAY frames and the probe's PING bypass nio-http2 (`HTTP2InputGate` writes them
/// below it): once it has sent a GOAWAY and no stream is open, nio-http2 answers every later
/// frame, even a WINDOW_UPDATE, the PING's answer or a request on the wire, with a connection
/// error and a GOAWAY PROTOCOL_ERROR of its own, which made clients fail the streams they had
/// opened and cut answers still queued below it short.
///
/// Why the second GOAWAY waits for the close rather than for the PING's answer: nghttp2-based
/// clients (curl) send the PING's answer ahead of requests they had queued, and curl 7.88
/// fails requests above a GOAWAY's last stream id instead of retrying them (measured).
///
/// A connection that has opened no stream yet when the drain starts (its client has just
/// finished the handshake, and its first requests may be on the wire) waits up to
/// `drainGrace` for them before the probe; if none comes, nothing was answered and the first
/// GOAWAY goes at once.
///
/// Pure: events in, actions out; `HTTP2ConnectionHandler` does the I/O and keeps the timer.
struct HTTP2ConnectionStateMachine {
    /// What the connection is doing.
    private enum State {
        /// Serving; nothing was announced.
        case serving
        /// Draining, but no stream came yet: waiting for the first ones (probed at the end
        /// of the read that brings them) or `graceEnds`.
        case awaitingFirstStream(graceEnds: NIODeadline)
        /// The probe's PING is out and output is held: waiting for its answer (acted on at the
        /// end of the read that brings it) or `graceEnds`.
        case probing(graceEnds: NIODeadline, answered: Bool)
        /// The first GOAWAY and a PING are out; waiting for the PING's answer (acted on at
        /// the end of the read that brings it, so that what came with it is handled first)
        /// or `graceEnds`.
        case announced(graceEnds: NIODeadline, answered: Bool)
        /// Announced and answered: waiting for the open streams to end.
        case draining
        /// The final GOAWAY and a PING are out: waiting for the PING's answer (acted on at the
        /// end of the read that brings it).
        case finishing(answered: Bool)
        /// Closing or closed.
        case closed
    }

    /// What the handler does next.
    enum Action: Equatable {
        case none
        /// Send a PING with `probePing`, flushed, and hold back what is written after it.
        case probeClient
        /// Send GOAWAY with the maximum stream id, then what was held back and a PING with
        /// `drainPing`, flushed.
        case announceDrain
        /// Send GOAWAY with `lastStreamID` and a PING with `finalPing`, and wait for its answer.
        case sendFinalGoAway(lastStreamID: HTTP2StreamID)
        /// The client has read everything up to the final PING: close.
        case close
    }

    /// The PING payload the probe waits for: an answer with it means the client has read
    /// every answer written before the probe.
    static let probePing = HTTP2PingData(withInteger: 0x5A45_524F_4454_0000)

    /// The PING payload the drain waits for: an answer with it means the client has read the
    /// first GOAWAY, and sent everything it sent before it.
    static let drainPing = HTTP2PingData(withInteger: 0x5A45_524F_4454_0001)

    /// The PING payload that goes with the final GOAWAY: an answer with it means the client
    /// has read everything written before it.
    static let finalPing = HTTP2PingData(withInteger: 0x5A45_524F_4454_0002)

    private let readHeaderTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let drainGrace: TimeAmount
    private var state = State.serving
    private var openStreams: Set<HTTP2StreamID> = []
    private var lastStreamID = HTTP2StreamID(0)
    /// Client streams have odd ids from 1: none seen while the last is still 0.
    private var sawStream: Bool { lastStreamID != HTTP2StreamID(0) }
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
        case .awaitingFirstStream(let graceEnds): return graceEnds
        case .probing(let graceEnds, let answered): return answered ? nil : graceEnds
        case .announced(let graceEnds, let answered): return answered ? nil : graceEnds
        case .draining, .finishing, .closed: return nil
        }
    }

    mutating func streamCreated(_ id: HTTP2StreamID) {
        openStreams.insert(id)
        lastStreamID = max(lastStreamID, id)
    }

    mutating func streamClosed(_ id: HTTP2StreamID, now: NIODeadline) -> Action {
        // By id: nio-http2 may report a stream closed that it never reported created.
        guard openStreams.remove(id) != nil, openStreams.isEmpty else { return .none }
        idleSince = now
        guard case .draining = state else { return .none }
        return finish()
    }

    /// The server drains.
    mutating func drainStarted(now: NIODeadline) -> Action {
        guard case .serving = state else { return .none }
        if !sawStream {
            state = .awaitingFirstStream(graceEnds: now + drainGrace)
            return .none
        }
        return probe(now: now)
    }

    /// A PING answer arrived.
    mutating func pingAcknowledged(_ data: HTTP2PingData) {
        switch state {
        case .probing(let graceEnds, _) where data == Self.probePing:
            state = .probing(graceEnds: graceEnds, answered: true)
        case .announced(let graceEnds, _) where data == Self.drainPing:
            state = .announced(graceEnds: graceEnds, answered: true)
        case .finishing where data == Self.finalPing:
            state = .finishing(answered: true)
        default:
            break
        }
    }

    /// The probe held back more than the gate keeps, and ended: the first GOAWAY is out.
    mutating func probeEndedEarly(now: NIODeadline) -> Action {
        guard case .probing = state else { return .none }
        return announce(now: now)
    }

    /// A read from the socket has been handled: every stream it carried was created, and
    /// every frame in it was seen.
    mutating func readComplete(now: NIODeadline) -> Action {
        switch state {
        case .awaitingFirstStream where sawStream: return probe(now: now)
        case .probing(_, answered: true): return announce(now: now)
        case .announced(_, answered: true): return answered()
        case .finishing(answered: true):
            state = .closed
            return .close
        default: return .none
        }
    }

    mutating func timerFired(now: NIODeadline) -> Action {
        guard let deadline = nextDeadline, deadline <= now else { return .none }
        switch state {
        case .serving: return finish()
        case .awaitingFirstStream, .probing: return announce(now: now)
        case .announced: return answered()
        case .draining, .finishing, .closed: return .none
        }
    }

    mutating func closed() {
        state = .closed
    }

    private mutating func probe(now: NIODeadline) -> Action {
        state = .probing(graceEnds: now + drainGrace, answered: false)
        return .probeClient
    }

    private mutating func announce(now: NIODeadline) -> Action {
        state = .announced(graceEnds: now + drainGrace, answered: false)
        return .announceDrain
    }

    /// The client has seen the first GOAWAY (or had the time to).
    private mutating func answered() -> Action {
        guard openStreams.isEmpty else {
            state = .draining
            return .none
        }
        return finish()
    }

    private mutating func finish() -> Action {
        state = .finishing(answered: false)
        return .sendFinalGoAway(lastStreamID: lastStreamID)
    }
}
