import NIOConcurrencyHelpers
import NIOCore

/// Knows every open connection of one server, across its listeners and event loops: to
/// enforce `max_connections`, to stop accepting without losing a connection, to tell them
/// all to drain, and to learn when the last has closed.
///
/// A connection is *settling* from the moment it is accepted until its handler is active.
/// NIO's accept handler closes a settling connection when its listening channel has closed
/// meanwhile, which would reset a client whose request is already sent; so a listening
/// channel is closed only once nothing is settling.
final class ConnectionTracker: Sendable {
    /// Whether listening channels may accept: not before the runtime says so (a successor
    /// waits until its predecessor has stopped, so two processes never accept at once), and
    /// not after it stopped them, unless it resumes (a successor died during the hand-over).
    enum Acceptance {
        case notYet, accepting, stopped
    }

    private struct State {
        var connections: [ObjectIdentifier: any Channel] = [:]
        var settling: Set<ObjectIdentifier> = []
        var acceptance = Acceptance.notYet
        /// Stopped, not resumed: a connection accepted now (it was on its way) joins the drain.
        var draining = false
        /// The connections the next or current drain waits for: every connection open when
        /// accepting stopped. A resume leaves them in it, and adds none.
        var drainingConnections: Set<ObjectIdentifier> = []
        /// Those already told to quiesce.
        var told: Set<ObjectIdentifier> = []
        var drained: EventLoopPromise<Void>?
        /// Accept gates paused at the limit, to resume when a connection closes.
        var pausedGates: [@Sendable () -> Void] = []
    }

    private let state = NIOLockedValueBox(State())
    let maxConnections: Int

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    var count: Int { state.withLockedValue { $0.connections.count } }

    /// Registers a connection just accepted; it settles once `activated` is called.
    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLockedValue { state in
            state.connections[id] = channel
            state.settling.insert(id)
            if state.draining { state.drainingConnections.insert(id) }
        }
        // The identifier, not the channel: a smaller closure, kept by every open connection.
        channel.closeFuture.whenComplete { _ in self.remove(id) }
    }

    /// The connection is active. Returns whether a drain waits for it, in which case the
    /// connection must be told now: `drain` only tells settled connections.
    func activated(_ channel: any Channel) -> Bool {
        state.withLockedValue { state in
            let id = ObjectIdentifier(channel)
            state.settling.remove(id)
            // `drained` is set while a drain waits for its connections.
            guard state.drained != nil, state.drainingConnections.contains(id) else { return false }
            return state.told.insert(id).inserted
        }
    }

    /// Whether every accepted connection has its handler running.
    var isSettled: Bool { state.withLockedValue { $0.settling.isEmpty } }

    /// Lets listening channels accept; the ones waiting are resumed.
    func startAccepting() {
        let gates: [@Sendable () -> Void] = state.withLockedValue { state in
            guard state.acceptance == .notYet else { return [] }
            state.acceptance = .accepting
            defer { state.pausedGates.removeAll() }
            return state.pausedGates
        }
        gates.forEach { $0() }
    }

    /// Accepts again after `stopAccepting`: connections from now on are not drained.
    func resumeAccepting() {
        let gates: [@Sendable () -> Void] = state.withLockedValue { state in
            state.acceptance = .accepting
            state.draining = false
            defer { state.pausedGates.removeAll() }
            return state.pausedGates
        }
        gates.forEach { $0() }
    }

    /// From now on no listening channel asks for another connection, and every connection
    /// open now belongs to the next drain.
    func stopAccepting() {
        state.withLockedValue { state in
            state.acceptance = .stopped
            state.pausedGates.removeAll()
            state.draining = true
            state.drainingConnections.formUnion(state.connections.keys)
        }
    }

    private func remove(_ id: ObjectIdentifier) {
        let (gates, drained): ([@Sendable () -> Void], EventLoopPromise<Void>?) = state.withLockedValue { state in
            state.connections[id] = nil
            state.settling.remove(id)
            state.drainingConnections.remove(id)
            state.told.remove(id)
            var gates: [@Sendable () -> Void] = []
            if state.acceptance == .accepting && state.connections.count < maxConnections {
                swap(&gates, &state.pausedGates)
            }
            let drained = state.drainingConnections.isEmpty ? state.drained : nil
            if drained != nil { state.drained = nil }
            return (gates, drained)
        }
        gates.forEach { $0() }
        drained?.succeed()
    }

    /// Whether another connection may be accepted now; if not, `resume` is called once one closes.
    func mayAccept(orPause resume: @escaping @Sendable () -> Void) -> Bool {
        state.withLockedValue { state in
            switch state.acceptance {
            case .stopped: return false
            case .notYet: break
            case .accepting: if state.connections.count < maxConnections { return true }
            }
            state.pausedGates.append(resume)
            return false
        }
    }

    /// Tells the connections that were open when accepting stopped to drain; the future
    /// completes when the last of them has closed. Connections accepted after a resume are
    /// not drained; a drain while one is under way joins it.
    /// - Important: call `stopAccepting()` first: it decides which connections drain.
    func drain(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        let (channels, done): ([any Channel], Bool) = state.withLockedValue { state in
            var done = false
            if let existing = state.drained {
                existing.futureResult.cascade(to: promise)
            } else if state.drainingConnections.isEmpty {
                done = true
            } else {
                state.drained = promise
            }
            // Settling connections are told when they become active (`activated`).
            let fresh = state.drainingConnections.filter { !state.settling.contains($0) && !state.told.contains($0) }
            state.told.formUnion(fresh)
            return (fresh.compactMap { state.connections[$0] }, done)
        }
        if done { promise.succeed() }
        channels.forEach(Self.sendDrain)
        return promise.futureResult
    }

    /// Closes every connection the drain under way still waits for, at its deadline.
    /// - Returns: how many it closed.
    @discardableResult
    func closeDraining() -> Int {
        let channels = state.withLockedValue { state in
            state.drainingConnections.compactMap { state.connections[$0] }
        }
        for channel in channels {
            // Time is up: no lingering either.
            channel.pipeline.triggerUserOutboundEvent(LingeringClose.CloseAtOnce(), promise: nil)
            channel.close(promise: nil)
        }
        return channels.count
    }

    private static func sendDrain(to channel: any Channel) {
        channel.eventLoop.execute {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }
}

/// Sits in a listening channel's pipeline and stops accepting while the server is at
/// `max_connections`: the clients beyond wait in the kernel's backlog instead of being
/// accepted and reset. It also pauses accepting for a while after a failed accept.
///
/// Why not NIO's `AcceptBackoffHandler`: it only delays the next `read()`, but after a
/// failed accept NIO's server channel keeps its read pending and stays registered for
/// readability, so with a client in the backlog it retries `accept` in a busy loop (out of
/// file descriptors: a core spent on `EMFILE`). Turning `autoRead` off unregisters it.
final class AcceptGate: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias OutboundIn = Never

    private let tracker: ConnectionTracker
    private let errors: AcceptErrorReporter
    private var context: ChannelHandlerContext?
    private var readPaused = false
    private var backingOff = false

    init(tracker: ConnectionTracker, errors: AcceptErrorReporter) {
        self.tracker = tracker
        self.errors = errors
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        tracker.add(unwrapInboundIn(data))
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        if tracker.mayAccept(orPause: resumer(context)) {
            context.read()
        } else {
            readPaused = true
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let ioError = error as? IOError else {
            context.fireErrorCaught(error)
            return
        }
        guard let delay = errors.backoff(after: ioError), !backingOff else { return }
        backingOff = true
        setAutoRead(false, context: context)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: delay) { loopBound.value.endBackoff() }
    }

    private func endBackoff() {
        backingOff = false
        guard let context else { return }
        // Turning autoRead on reads at once, past `read(context:)`: ask the tracker first.
        if tracker.mayAccept(orPause: resumer(context)) {
            setAutoRead(true, context: context)
        } else {
            readPaused = true
        }
    }

    private func resumer(_ context: ChannelHandlerContext) -> @Sendable () -> Void {
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        return { eventLoop.execute { loopBound.value.resume() } }
    }

    private func resume() {
        guard readPaused, !backingOff, let context else { return }
        readPaused = false
        if autoRead(context) {
            context.read()
        } else {
            setAutoRead(true, context: context)
        }
    }

    private func autoRead(_ context: ChannelHandlerContext) -> Bool {
        (try? context.channel.syncOptions?.getOption(.autoRead)) ?? true
    }

    private func setAutoRead(_ on: Bool, context: ChannelHandlerContext) {
        try? context.channel.syncOptions?.setOption(.autoRead, value: on)
    }
}

@available(*, unavailable)
extension AcceptGate: Sendable {}

/// First in every connection's pipeline: marks the connection settled once it is active,
/// and tells it to quiesce right away when the server began draining while it was being
/// set up.
final class ActivationReporter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let tracker: ConnectionTracker

    init(tracker: ConnectionTracker) {
        self.tracker = tracker
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if tracker.activated(context.channel) {
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        // Its work is done: an idle connection should not carry it.
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

@available(*, unavailable)
extension ActivationReporter: Sendable {}
