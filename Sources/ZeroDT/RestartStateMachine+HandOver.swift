import Logging

/// The old generation's side of a hand-over: stop accepting, drain, make sure the successor
/// runs and confirms, exit; or take the service back when the successor dies first.
extension RestartStateMachine {
    mutating func acceptingStopped(_ drain: DrainID) -> [Action] {
        guard case .handingOver(var handingOver) = state, handingOver.drain == drain else { return [] }
        handingOver.acceptingStopped = true
        state = .handingOver(handingOver)
        if handingOver.successorGone != nil { return [] }
        return [.tellSuccessor(handingOver.launch, .acceptingStopped)]
    }

    mutating func drainStarted(_ drain: DrainID) -> [Action] {
        guard case .handingOver(var handingOver) = state, handingOver.drain == drain else { return [] }
        handingOver.drainStarted = true
        state = .handingOver(handingOver)
        if let failure = handingOver.successorGone, !handingOver.stopRequested {
            return takeBack(failure, restartOwed: handingOver.restartOwed)
        }
        return []
    }

    /// The successor is stopping (a stop reached it, not this generation): the service is
    /// being stopped, so its exit is no reason to serve again.
    mutating func successorStopping(_ launch: LaunchID) -> [Action] {
        guard case .handingOver(var handingOver) = state, handingOver.launch == launch, !handingOver.stopRequested
        else { return [] }
        handingOver.stopRequested = true
        handingOver.successorStopping = true
        state = .handingOver(handingOver)
        return [.log(.info, "generation \(successorGeneration) (pid \(handingOver.pid)) is stopping; this generation finishes its drain and stops too")]
    }

    mutating func drained(_ drain: DrainID) -> [Action] {
        switch state {
        case .handingOver(var handingOver) where handingOver.drain == drain:
            if handingOver.successorGone != nil {
                // Only a stop keeps a generation from taking back from a dead successor.
                return finishStop()
            }
            handingOver.confirming = true
            state = .handingOver(handingOver)
            // The successor may have died a moment ago: ask before leaving nobody to serve.
            return [.checkSuccessor(handingOver.launch)]
        case .stopping(var stopping) where stopping.drain == drain:
            stopping.drained = true
            return finishStopIfDone(stopping)
        default:
            return []
        }
    }

    mutating func successorAlive(_ launch: LaunchID) -> [Action] {
        guard case .handingOver(var handingOver) = state, handingOver.launch == launch, handingOver.confirming
        else { return [] }
        if handingOver.awaitingConfirmation {
            let done = isConfirmed(handingOver) || handingOver.stopRequested || handingOver.confirmationTimedOut
            return done ? exitHandingOver(handingOver) : []
        }
        // Stay until the successor says it took over (stateless: the pid file names it) or
        // accepts (stateful: it accepts only now), and ask once more after the hook, so that
        // its death meanwhile still finds a generation to give the service back to.
        handingOver.awaitingConfirmation = true
        state = .handingOver(handingOver)
        let finish: [Action] = [.runHook(.completeShutdown), .tellSuccessor(launch, .shutdownComplete)]
        if isConfirmed(handingOver) || handingOver.stopRequested { return finish + [.checkSuccessor(launch)] }
        return finish + [.startTimer(.confirmation(launch), configuration.turnTimeout)]
    }

    /// Whether the successor said what this generation waits for before it exits.
    func isConfirmed(_ handingOver: HandingOver) -> Bool {
        guard handingOver.successorConfirms else { return true }
        return configuration.stateful ? handingOver.successorAccepting : handingOver.reported
    }

    mutating func successorAccepting(_ launch: LaunchID) -> [Action] {
        guard case .handingOver(var handingOver) = state, handingOver.launch == launch else { return [] }
        handingOver.successorAccepting = true
        state = .handingOver(handingOver)
        return confirmationArrived(handingOver)
    }

    mutating func successorTookOver(_ launch: LaunchID) -> [Action] {
        guard case .handingOver(var handingOver) = state, handingOver.launch == launch, !handingOver.reported
        else { return [] }
        handingOver.reported = true
        state = .handingOver(handingOver)
        return [tookOver(handingOver)] + confirmationArrived(handingOver)
    }

    func confirmationArrived(_ handingOver: HandingOver) -> [Action] {
        guard handingOver.awaitingConfirmation, isConfirmed(handingOver) else { return [] }
        // It may have died right after saying so.
        return [.cancelTimer(.confirmation(handingOver.launch)), .checkSuccessor(handingOver.launch)]
    }

    func tookOver(_ handingOver: HandingOver) -> Action {
        let successor = "generation \(successorGeneration) (pid \(handingOver.pid)) took over"
        return .finishRestart(RestartResult(ok: true, summary: successor, detail: successor,
                                            generation: successorGeneration, pid: handingOver.pid),
                              answerWaiters: true)
    }

    /// - Parameter cutShort: a second stop signal ends the drain.
    mutating func exitHandingOver(_ handingOver: HandingOver, cutShort: Bool = false) -> [Action] {
        let ending = handingOver.successorStopping ? (cutShort ? Ending.interrupted : .stopped)
            : .handedOver(successorPID: handingOver.pid, unixPaths: handingOver.unixPaths, cutShort: cutShort)
        state = .exited(ending)
        // A successor of an older release never says it took over; a stop ends the wait.
        return (handingOver.reported ? [] : [tookOver(handingOver)]) + [.exit(ending)]
    }

    mutating func successorExited(_ launch: LaunchID, status: String) -> [Action] {
        switch state {
        case .awaitingSuccessor(let awaiting) where awaiting.launch == launch:
            return successorFailed(launch, SuccessorFailure(
                summary: "generation \(successorGeneration) (pid \(awaiting.pid)) exited before it was ready: it \(status)"))
        case .handingOver(var handingOver) where handingOver.launch == launch && handingOver.successorGone == nil:
            let failure = SuccessorFailure(
                summary: "generation \(successorGeneration) (pid \(handingOver.pid)) exited after it was ready: it \(status)")
            handingOver.successorGone = failure
            state = .handingOver(handingOver)
            if handingOver.stopRequested {
                // A stop the successor announced is no surprise; one that crossed its death is.
                let level: Logger.Level = handingOver.successorStopping ? .info : .warning
                if handingOver.awaitingConfirmation {
                    state = .exited(.stopped)
                    // `completeShutdown` has run already.
                    return [.abandonReloads("stop requested; the restart was abandoned"), .exit(.stopped)]
                }
                if handingOver.confirming { return finishStop() }
                return [.log(level, "\(failure.summary); stopping as requested")]
            }
            // Taking back before this generation has stopped accepting and started its drain
            // (`preShutdown` included) would race with both.
            guard handingOver.drainStarted else { return [] }
            return takeBack(failure, restartOwed: handingOver.restartOwed)
        default:
            return []
        }
    }

    /// The successor died during the hand-over and this generation still holds every
    /// listening socket: serve again, as if the restart had failed; then run the restart
    /// asked for meanwhile (`restartOwed`), which died with the successor.
    mutating func takeBack(_ failure: SuccessorFailure, restartOwed: Bool) -> [Action] {
        state = .serving(Serving(predecessor: .gone))
        let taken: [Action] = [
            .log(.error, "\(failure.summary); serving again as generation \(generation)"),
            .resumeAccepting,
            .startControlServer,
            .writePIDFile,
            .notify(.tookBack(status: status("serving again: \(failure.summary)"))),
            .runHook(.resumed),
            .runHook(.restartFailed(failure)),
            .finishRestart(failed(failure), answerWaiters: !restartOwed),
        ]
        guard restartOwed else { return taken }
        return taken + [.log(.info, "running the restart requested during the hand-over")] + beginRestart()
    }
}
