/// Restarts and stops as a plain value: events in, actions out. `Runtime` carries the
/// actions out. Only one restart can be in progress, by construction; a restart requested
/// during one is remembered (coalesced) rather than refused, and a draining generation
/// never starts a successor of its own.
struct RestartStateMachine: Equatable {
    enum State: Equatable {
        /// Serving; no successor exists.
        case serving
        /// A successor is starting; waiting for it to report ready or fail.
        case restarting(pendingRestart: Bool)
        /// The successor took over; this generation is draining and will exit. A stop
        /// request here (systemd signals every process of a unit) lets the drain finish; only
        /// a second one cuts it short.
        case handingOver(stopRequested: Bool)
        /// Draining after a stop request; will exit.
        case stopping
    }

    enum Action: Equatable {
        case none
        /// Start a successor.
        case startSuccessor
        /// A restart is already under way; one more will follow it.
        case coalesced
        /// This generation is on its way out; the request is for the successor.
        case ignoredWhileDraining
        /// The successor is ready: hand over, drain and exit. With `forwardRestart`, ask
        /// the successor to restart once more (a request came in meanwhile).
        case handOver(forwardRestart: Bool)
        /// The successor failed: keep serving. With `retry`, start another one at once,
        /// since a request came in after this one started (perhaps with a fixed config).
        case keepServing(retry: Bool)
        /// Kill the successor being started, then drain and exit.
        case abortRestartAndStop
        /// Drain and exit.
        case stop
        /// A second stop request: exit without waiting for the drain.
        case exitNow
    }

    private(set) var state: State = .serving

    mutating func restartRequested() -> Action {
        switch state {
        case .serving:
            state = .restarting(pendingRestart: false)
            return .startSuccessor
        case .restarting:
            state = .restarting(pendingRestart: true)
            return .coalesced
        case .handingOver, .stopping:
            return .ignoredWhileDraining
        }
    }

    mutating func successorReady() -> Action {
        guard case .restarting(let pending) = state else { return .none }
        state = .handingOver(stopRequested: false)
        return .handOver(forwardRestart: pending)
    }

    mutating func successorFailed() -> Action {
        guard case .restarting(let pending) = state else { return .none }
        if pending {
            state = .restarting(pendingRestart: false)
            return .keepServing(retry: true)
        }
        state = .serving
        return .keepServing(retry: false)
    }

    mutating func stopRequested() -> Action {
        switch state {
        case .serving:
            state = .stopping
            return .stop
        case .restarting:
            state = .stopping
            return .abortRestartAndStop
        case .handingOver(stopRequested: false):
            state = .handingOver(stopRequested: true)
            return .none
        case .handingOver(stopRequested: true), .stopping:
            return .exitNow
        }
    }
}
