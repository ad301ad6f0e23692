/// A successor's side of a hand-over: reporting ready, waiting for its turn, and its
/// predecessor's drain and exit.
extension RestartStateMachine {
    mutating func started() -> [Action] {
        guard case .starting(let starting) = state else { return [] }
        var actions: [Action]
        if configuration.predecessorPID != nil {
            state = .awaitingTurn(AwaitingTurn(pendingRestart: starting.pendingRestart))
            // Asked to stop while starting: the predecessor must not hand over to it.
            if starting.stopRequested { return beginStop(bySignal: starting.stopSignals > 0, beforeTurn: true) }
            actions = [.reportReady, .startTimer(.turn, configuration.turnTimeout)]
        } else {
            state = .serving(Serving(predecessor: .gone))
            actions = [.writePIDFile, .startAccepting, .startControlServer,
                       .notify(.ready(status: status("serving")))]
            if starting.pendingRestart { actions += beginRestart() }
        }
        if starting.stopRequested { actions += beginStop(bySignal: starting.stopSignals > 0) }
        return actions
    }

    /// Takes over from the predecessor: it stopped accepting, finished, died or timed out.
    mutating func takeTurn(predecessor: PredecessorPhase, pendingRestart: Bool) -> [Action] {
        var actions: [Action] = [.cancelTimer(.turn), .writePIDFile, .reportTookOver]
        if predecessor != .draining { actions.append(.runHook(.preParentExit)) }
        actions += [.startAccepting, .reportAccepting, .startControlServer]
        state = .serving(Serving(predecessor: predecessor))
        if pendingRestart { actions += restartRequested(.signal) }
        return actions
    }

    mutating func predecessorStoppedAccepting() -> [Action] {
        guard case .awaitingTurn(var turn) = state, !turn.predecessorStoppedAccepting else { return [] }
        turn.predecessorStoppedAccepting = true
        state = .awaitingTurn(turn)
        // Stateful mode accepts only once the predecessor has drained, but this generation is
        // the one to signal from now on, so the pid file names it.
        if configuration.stateful { return [.writePIDFile, .reportTookOver] }
        return takeTurn(predecessor: .draining, pendingRestart: turn.pendingRestart)
    }

    mutating func predecessorFinished() -> [Action] {
        switch state {
        case .awaitingTurn(let turn):
            return takeTurn(predecessor: .finished, pendingRestart: turn.pendingRestart)
        case .serving(var serving) where serving.predecessor == .draining:
            serving.predecessor = .finished
            state = .serving(serving)
            return [.runHook(.preParentExit),
                    .log(.info, "generation \(generation - 1) (pid \(configuration.predecessorPID ?? 0)) has finished")]
        default:
            return []
        }
    }

    /// The predecessor's end of the control channel closed: it exited (or died).
    mutating func predecessorExited() -> [Action] {
        switch state {
        case .stopping(var stopping) where stopping.awaitingPredecessor:
            stopping.awaitingPredecessor = false
            return finishStopIfDone(stopping)
        case .awaitingTurn(let turn):
            var actions = takeTurn(predecessor: .gone, pendingRestart: false)
            if turn.pendingRestart { actions += restartRequested(.signal) }
            return actions
        case .serving(let serving) where serving.predecessor != .gone:
            var actions: [Action] = serving.predecessor == .draining ? [.runHook(.preParentExit)] : []
            state = .serving(Serving(predecessor: .gone))
            if serving.deferredRestart { actions += beginRestart() }
            return actions
        default:
            return []
        }
    }
}
