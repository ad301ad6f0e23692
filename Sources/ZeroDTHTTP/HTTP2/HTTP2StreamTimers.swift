import NIOCore

/// The deadlines of an HTTP/2 connection's streams (their `HTTPConnectionHandler`s'), on one
/// scheduled task of the connection's rather than a task per stream. Most streams are
/// answered and gone within the read that brought them, and a timer of their own cost each
/// a task scheduled and then cancelled: about 4% of a small response's instructions
/// (callgrind, Benchmarks/floor.sh's case). The task is set for the earliest deadline; a
/// deadline that moves later, or a stream that ends, is picked up when it fires, so a busy
/// connection moves it about once per deadline's length rather than once per stream.
/// - Important: used on the connection's event loop only.
final class HTTP2StreamTimers {
    private struct Entry {
        let handler: HTTPConnectionHandler
        let context: ChannelHandlerContext
        var deadline: NIODeadline
    }

    private let eventLoop: any EventLoop
    private var entries: [ObjectIdentifier: Entry] = [:]
    private var timer = EarliestDeadlineTimer()
    /// The connection has closed: a stream still finishing (a failed write's completion
    /// runs before its own close) sets no deadline on it.
    private var isClosed = false

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// `handler`'s next deadline is `deadline`: its `timerFired(context:)` is called once
    /// that has passed, unless it sets another or is removed before.
    func set(_ deadline: NIODeadline, for handler: HTTPConnectionHandler, context: ChannelHandlerContext) {
        guard !isClosed else { return }
        entries[ObjectIdentifier(handler)] = Entry(handler: handler, context: context, deadline: deadline)
        timer.arm(at: deadline, on: eventLoop, owner: self)
    }

    /// `handler`'s stream has ended.
    func remove(_ handler: HTTPConnectionHandler) {
        entries[ObjectIdentifier(handler)] = nil
    }

    /// The connection has closed, and its streams with it.
    func cancel() {
        isClosed = true
        timer.cancel()
        entries = [:]
    }
}

extension HTTP2StreamTimers: DeadlineOwner {
    func deadlinePassed() {
        timer.fired()
        let now = eventLoop.now
        // Taken out before any is called: a handler sets its next deadline, or closes its
        // stream, from inside the call.
        let due = entries.values.filter { $0.deadline <= now }
        for entry in due { entries[ObjectIdentifier(entry.handler)] = nil }
        for entry in due { entry.handler.timerFired(context: entry.context) }
        if let next = entries.values.lazy.map(\.deadline).min() { timer.arm(at: next, on: eventLoop, owner: self) }
    }
}

@available(*, unavailable)
extension HTTP2StreamTimers: Sendable {}
