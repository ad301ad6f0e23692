/// Stopping: a drain that only a second stop signal cuts short, and a launch under way that
/// is killed before the generation exits.
extension RestartStateMachine {
    mutating func stopRequested(bySignal: Bool) -> [Action] {
        switch state {
        case .starting(var starting):
            starting.stopRequested = true
            if bySignal { starting.stopSignals += 1 }
            state = .starting(starting)
            return []
        case .awaitingTurn:
            return [.cancelTimer(.turn)] + beginStop(bySignal: bySignal, beforeTurn: true)
        case .serving:
            return beginStop(bySignal: bySignal)
        case .launching(let launching):
            // The successor is killed as soon as its launch reports it (`successorLaunched`).
            let actions = [Action.log(.info, "stop requested: abandoning the start of generation \(successorGeneration)")]
                + beginStop(bySignal: bySignal)
            if case .stopping(var stopping) = state {
                stopping.pendingLaunch = launching.launch
                state = .stopping(stopping)
            }
            return actions
        case .awaitingSuccessor(let awaiting):
            return [.log(.info, "stop requested: killing generation \(successorGeneration)"),
                    .cancelTimer(.successorReady(awaiting.launch)), .killSuccessor(awaiting.launch)]
                + beginStop(bySignal: bySignal)
        case .handingOver(var handingOver):
            if bySignal && handingOver.stopSignals > 0 {
                let log = Action.log(.warning, "second stop signal: exiting without finishing the drain")
                guard handingOver.successorGone == nil else {
                    // With the successor gone, this is the end of the service, not a hand-over.
                    state = .exited(.interrupted)
                    return [log, .abandonReloads("stop requested; the restart was abandoned"), .exit(.interrupted)]
                }
                return [log] + exitHandingOver(handingOver, cutShort: true)
            }
            let first = !handingOver.stopRequested
            handingOver.stopRequested = true
            if bySignal { handingOver.stopSignals += 1 }
            state = .handingOver(handingOver)
            var actions = [Action.log(.info, "stop requested: finishing the drain already under way")]
            // The stop may have reached only this generation (its control socket or pid file
            // still named it a moment ago): the successor must stop too, or it serves on.
            if first, handingOver.successorConfirms, handingOver.successorGone == nil, !handingOver.successorStopping {
                actions.append(.forwardStop(handingOver.launch))
            }
            return actions
        case .stopping(var stopping):
            guard bySignal else { return [] }
            stopping.signals += 1
            guard stopping.signals >= 2 else {
                state = .stopping(stopping)
                return [.log(.info, "stop requested: finishing the drain already under way")]
            }
            let ending: Ending = stopping.beforeTurn ? .stoppedBeforeTurn : .interrupted
            state = .exited(ending)
            // (A predecessor still draining is not waited for: a second signal ends it all.)
            return [.log(.warning, "second stop signal: exiting without finishing the drain"), .exit(ending)]
        case .exited:
            return []
        }
    }

    mutating func beginStop(bySignal: Bool, beforeTurn: Bool = false) -> [Action] {
        let drain = nextDrain
        nextDrain += 1
        let predecessorAround: Bool
        switch state {
        case .awaitingTurn: predecessorAround = true
        case .serving(let serving): predecessorAround = serving.predecessor != .gone
        default: predecessorAround = false
        }
        // A predecessor still draining must not take the service back when this one exits,
        // and this one exits after it, so that a `stop` returns once the sockets are free.
        let waitForPredecessor = predecessorAround && configuration.predecessorKnowsStopping
        state = .stopping(Stopping(drain: drain, signals: bySignal ? 1 : 0, beforeTurn: beforeTurn,
                                   awaitingPredecessor: waitForPredecessor))
        // A successor stopped before its turn has accepted nothing: no load balancer to warn.
        // The hook runs before the log line, so that whoever reads the line sees its effect.
        // The control socket stays served to the end: `status` says "stopping" and `reload`
        // is refused, rather than left unanswered in a backlog nobody accepts from.
        return (waitForPredecessor ? [.reportStopping] : []) + [
            .abandonReloads("stop requested; the restart was abandoned"),
            .notify(.stopping(status: status("stopping"))),
        ] + (beforeTurn ? [] : [.runHook(.stopping)]) + [
            .log(.info, "stopping: draining connections"),
            .drain(drain, afterShutdownDelay: !beforeTurn),
        ]
    }

    /// A launch a stop abandoned has ended (the child exists and is being killed, or never
    /// existed).
    mutating func launchSettled(_ launch: LaunchID) -> [Action] {
        guard case .stopping(var stopping) = state, stopping.pendingLaunch == launch else { return [] }
        stopping.pendingLaunch = nil
        return finishStopIfDone(stopping)
    }

    /// A stopping generation exits once drained, with no launch under way and no predecessor
    /// left.
    mutating func finishStopIfDone(_ stopping: Stopping) -> [Action] {
        state = .stopping(stopping)
        guard stopping.drained, stopping.pendingLaunch == nil, !stopping.awaitingPredecessor else { return [] }
        return finishStop(ending: stopping.beforeTurn ? .stoppedBeforeTurn : .stopped)
    }

    mutating func finishStop(ending: Ending = .stopped) -> [Action] {
        state = .exited(ending)
        return [.runHook(.completeShutdown), .abandonReloads("stop requested; the restart was abandoned"),
                .exit(ending)]
    }
}
