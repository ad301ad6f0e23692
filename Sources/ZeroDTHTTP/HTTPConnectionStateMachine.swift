import Logging
import NIOCore

/// The life of one HTTP/1.1 connection as a plain value: requests, responses, draining and
/// deadlines in, actions out. It does no I/O; `HTTPConnectionHandler` carries out what it
/// says. Time is passed in, so tests drive it with made-up instants.
struct HTTPConnectionStateMachine {
    private enum State: Equatable {
        /// Waiting for the first byte of the next request (of the first, on a new connection).
        case idle
        /// Some bytes of a request have come, its head is not complete.
        case readingHead
        /// The head is in; waiting for the body's end.
        case readingBody
        /// The request is complete; waiting for the handler's response.
        case awaitingResponse
        /// The last response is being written; the connection closes once it is out, or at
        /// the write deadline if it does not get out.
        case closing
        /// The connection is closed; nothing more happens.
        case closed
    }

    /// What the handler must do now.
    enum Action: Equatable {
        case none
        /// Close the connection now.
        case close
        /// Close the connection once the writes in flight are done.
        case closeWhenWritten
        /// The drain is done waiting for this idle connection: close it (`closeIdle()`),
        /// unless the client's next request has already reached the socket unread; then report
        /// it with `bytesReceived(now:)` and answer it (with `Connection: close`). Only the
        /// handler can look at the socket, and a request the server has received must be
        /// answered: an idle close can only race with requests still on their way.
        case closeIdleUnlessInputWaiting
    }

    // The one-byte fields last (here and `lingerBeforeClose`, `inputOpen`): fields are laid
    // out in order, and every connection's handler holds this machine inline.
    let settings: Settings
    private var deadline: NIODeadline
    private var writeDeadline: NIODeadline?
    /// When the body being read must be complete (`readBodyTimeout` after its head).
    private var bodyDeadline: NIODeadline?
    /// Responses issued whose last write has not completed yet.
    private(set) var writesInFlight = 0
    private var state: State = .idle
    private var draining = false
    /// The current request's response must carry `Connection: close`.
    private(set) var closeAfterResponse = false
    /// The connection's settings; its handler reads them here rather than keep a copy of its
    /// own.
    var configuration: HTTPServerConfiguration { settings.configuration }

    /// A server's settings, made once and shared by its connections: a copy in each was
    /// about 200 bytes of what an idle connection holds.
    final class Settings: Sendable {
        let configuration: HTTPServerConfiguration
        /// Where the server's connections report what goes wrong: here, not in each
        /// connection's handler, where it was 56 of an idle connection's bytes.
        let logger: Logger
        /// The configured timeouts, converted from `Duration` once: the conversion takes
        /// 128-bit arithmetic, and deadlines move several times per request.
        fileprivate let timeouts: Timeouts

        init(_ configuration: HTTPServerConfiguration, logger: Logger) {
            self.configuration = configuration
            self.logger = logger
            timeouts = Timeouts(configuration)
        }
    }

    fileprivate struct Timeouts {
        var readHeader, readBody, idle, write, drainGrace: TimeAmount

        init(_ configuration: HTTPServerConfiguration) {
            readHeader = TimeAmount(configuration.readHeaderTimeout)
            readBody = TimeAmount(configuration.readBodyTimeout)
            idle = TimeAmount(configuration.idleTimeout)
            write = TimeAmount(configuration.writeTimeout)
            drainGrace = TimeAmount(configuration.drainGrace)
        }
    }

    private var timeouts: Timeouts { settings.timeouts }

    init(settings: Settings, now: NIODeadline) {
        self.settings = settings
        deadline = now + settings.timeouts.readHeader
    }

    /// When the handler's timer must next look at the connection; none once it is closed,
    /// or closing with its last write done.
    var nextDeadline: NIODeadline? {
        switch state {
        case .closed: return nil
        case .closing: return writeDeadline
        default: return writeDeadline.map { min(deadline, $0) } ?? deadline
        }
    }

    /// Whether the connection takes no more requests: closed, or closing after its last response.
    var isClosed: Bool { state == .closed || state == .closing }

    /// Bytes arrived from the client.
    mutating func bytesReceived(now: NIODeadline) {
        guard state == .idle else { return }
        state = .readingHead
        deadline = now + timeouts.readHeader
    }

    /// A request head was decoded. Returns whether the response will close the connection.
    @discardableResult
    mutating func requestHead(keepAlive: Bool, now: NIODeadline) -> Bool {
        guard state == .idle || state == .readingHead else {
            // The decoder never sends a head mid-request; if it did, stop trusting the stream.
            closeAfterResponse = true
            return true
        }
        state = .readingBody
        let bodyDeadline = now + timeouts.readBody
        self.bodyDeadline = bodyDeadline
        deadline = min(bodyDeadline, now + timeouts.idle)
        closeAfterResponse = closeAfterResponse || !keepAlive || draining
        return closeAfterResponse
    }

    /// Part of a body arrived: a stalled upload is bounded by the idle timeout between reads,
    /// one that trickles by the body deadline.
    mutating func bodyReceived(now: NIODeadline) {
        guard state == .readingBody else { return }
        deadline = now + timeouts.idle
        if let bodyDeadline { deadline = min(deadline, bodyDeadline) }
    }

    /// The request is complete; the handler is producing the response.
    mutating func requestEnd() {
        guard state == .readingBody else { return }
        state = .awaitingResponse
    }

    /// Something went wrong that ends the connection after an error response.
    mutating func protocolError() {
        closeAfterResponse = true
        lingerBeforeClose = inputOpen
    }

    /// The response's body ends where the connection does (HTTP/1.0, which has no chunks,
    /// and a body of unknown length): the connection closes after it.
    mutating func bodyEndsWithConnection() {
        closeAfterResponse = true
    }

    /// The client shut down its sending side: answer what it sent, then close.
    mutating func inputClosed() {
        closeAfterResponse = true
        inputOpen = false
        lingerBeforeClose = false
    }

    /// After an error the client may still be sending (a body too large, say). Closing with
    /// unread input makes the kernel send a reset, which can destroy the error response
    /// before the client reads it; so the connection first shuts down its sending side and
    /// discards input for a while.
    private(set) var lingerBeforeClose = false
    private var inputOpen = true

    /// The response was written (not necessarily flushed to the socket yet).
    mutating func responseIssued(now: NIODeadline) -> Action {
        guard !isClosed else { return .none }
        // Responses queued behind one still being written do not extend its deadline.
        if writesInFlight == 0 { writeDeadline = now + timeouts.write }
        writesInFlight += 1
        if closeAfterResponse {
            state = .closing
            return .closeWhenWritten
        }
        state = .idle
        deadline = now + timeouts.idle
        return .none
    }

    /// How long a response may make no progress (`timeouts.write`), converted once.
    var writeTimeout: TimeAmount { timeouts.write }

    /// Whether a response still being written has made no progress by its deadline.
    func writeDeadlinePassed(now: NIODeadline) -> Bool {
        writeDeadline.map { now >= $0 } ?? false
    }

    /// A write made progress: a file chunk or a whole response reached the socket, or the
    /// kernel is still sending what did (`TransmissionProgress`).
    mutating func writeProgressed(now: NIODeadline, responseFinished: Bool) {
        if responseFinished { writesInFlight -= 1 }
        if writesInFlight > 0 {
            writeDeadline = now + timeouts.write
        } else {
            writeDeadline = nil
            readsResumed(now: now)
        }
    }

    /// The last write is done, and with it the pause of reads (the handler reads nothing
    /// while responses are being written): the read deadlines start now. The connection is
    /// idle from the moment its last response has gone out, not from when it was issued (a
    /// long download is not an idle connection); a head or body that came in behind that
    /// response has its timeouts from now, not the idle timeout it was given meanwhile.
    private mutating func readsResumed(now: NIODeadline) {
        switch state {
        case .idle:
            if !draining { deadline = now + timeouts.idle }
        case .readingHead:
            deadline = now + timeouts.readHeader
        case .readingBody:
            let bodyDeadline = now + timeouts.readBody
            self.bodyDeadline = bodyDeadline
            deadline = min(bodyDeadline, now + timeouts.idle)
        case .awaitingResponse, .closing, .closed:
            break
        }
    }

    /// Whether responses are still being written.
    var hasWritesInFlight: Bool { writesInFlight > 0 }

    /// The server started draining: finish what is in flight with `Connection: close`, and
    /// give an idle connection `drainGrace` to deliver a request already on the wire.
    mutating func drainStarted(now: NIODeadline) -> Action {
        guard !draining else { return .none }
        draining = true
        closeAfterResponse = true
        switch state {
        case .idle:
            if configuration.drainGrace <= .zero { return .closeIdleUnlessInputWaiting }
            deadline = min(deadline, now + timeouts.drainGrace)
            return .none
        case .readingHead, .readingBody, .awaitingResponse, .closing, .closed:
            return .none
        }
    }

    /// The timer fired at `now`: close when a deadline has passed.
    mutating func timerFired(now: NIODeadline) -> Action {
        guard state != .closed else { return .none }
        if let writeDeadline, now >= writeDeadline {
            state = .closed
            return .close
        }
        guard state != .closing, now >= deadline else { return .none }
        if state == .idle && draining { return .closeIdleUnlessInputWaiting }
        if state != .awaitingResponse && writesInFlight > 0 {
            // Still sending; the write deadline guards progress, idleness starts afterwards.
            // A next request already arriving is not read until then (reads pause while
            // responses are written), so its head or body cannot be late yet: their
            // deadlines start when the writes end (`readsResumed`).
            deadline = now + timeouts.idle
            return .none
        }
        if state == .awaitingResponse {
            // The handler is still working; the write deadline takes over once it answers.
            deadline = now + timeouts.idle
            return .none
        }
        state = .closed
        return .close
    }

    /// The connection closed under us.
    mutating func closed() {
        state = .closed
    }

    /// Closes an idle connection that is draining, after `closeIdleUnlessInputWaiting`
    /// found nothing waiting in the socket.
    mutating func closeIdle() -> Action {
        guard state == .idle else { return .none }
        state = writesInFlight > 0 ? .closing : .closed
        return writesInFlight > 0 ? .closeWhenWritten : .close
    }
}
