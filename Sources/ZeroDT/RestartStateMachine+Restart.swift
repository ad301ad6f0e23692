/// Starting a successor: requests (coalesced, or deferred while a predecessor drains), the
/// launch, and its verdict.
extension RestartStateMachine {
    mutating func restartRequested(_ trigger: Trigger) -> [Action] {
        let awaitReload: [Action] = trigger == .command ? [.awaitReload] : []
        var log: [Action] = []
        if case .fileChanged(let path) = trigger { log = [.log(.info, "\(path) changed")] }
        switch state {
        case .starting(var starting):
            starting.pendingRestart = true
            state = .starting(starting)
            return log + awaitReload
        case .awaitingTurn(var turn):
            turn.pendingRestart = true
            state = .awaitingTurn(turn)
            return log + awaitReload
        case .serving(var serving) where serving.predecessor != .gone:
            let first = !serving.deferredRestart
            serving.deferredRestart = true
            state = .serving(serving)
            let note = "restart requested while generation \(generation - 1) still drains; it starts when that one has finished"
            return log + awaitReload + (first ? [.log(.info, note)] : [])
        case .serving:
            return log + awaitReload + beginRestart()
        case .launching(var launching):
            launching.pendingRestart = true
            state = .launching(launching)
            return log + awaitReload + [.log(.info, "restart already in progress; another one will follow it")]
        case .awaitingSuccessor(var awaiting):
            awaiting.pendingRestart = true
            state = .awaitingSuccessor(awaiting)
            return log + awaitReload + [.log(.info, "restart already in progress; another one will follow it")]
        case .handingOver(var handingOver) where trigger == .signal && !handingOver.stopRequested:
            // Owed here too: should the successor die, the service (and the request) comes back.
            handingOver.restartOwed = true
            state = .handingOver(handingOver)
            guard handingOver.successorGone == nil else {
                return [.log(.info, "restart requested while generation \(successorGeneration) is gone; it starts once this generation serves again")]
            }
            // The signal was meant for whoever serves (a supervisor, or a script reading the pid
            // file a moment ago): the successor. A watched file is watched there too.
            return [.log(.info, "passing the restart request on to generation \(successorGeneration) (pid \(handingOver.pid))"),
                    .forwardRestart(handingOver.launch)]
        case .handingOver, .stopping, .exited:
            if trigger == .command {
                if case .stopping = state { return [.refuseReload("the server is stopping")] }
                return [.refuseReload("this generation is \(stateDescription); retry to reach the serving one")]
            }
            return log + [.log(.info, "ignoring restart request: this generation is \(stateDescription)")]
        }
    }

    mutating func beginRestart(pendingRestart: Bool = false) -> [Action] {
        let launch = nextLaunch
        nextLaunch += 1
        state = .launching(Launching(launch: launch, pendingRestart: pendingRestart))
        return [
            .log(.info, "restart requested: starting generation \(successorGeneration) from \(configuration.executable)"),
            .notify(.reloading(status: status("reloading"))),
            .launchSuccessor(launch, generation: successorGeneration),
        ]
    }

    mutating func successorLaunched(_ launch: LaunchID, pid: Int32) -> [Action] {
        guard case .launching(let launching) = state, launching.launch == launch else {
            // Spawned for a restart that a stop has abandoned meanwhile.
            return [.log(.info, "stop requested: killing generation \(successorGeneration) (pid \(pid)), started for the abandoned restart"),
                    .killSuccessor(launch)] + launchSettled(launch)
        }
        state = .awaitingSuccessor(AwaitingSuccessor(launch: launch, pid: pid,
                                                     pendingRestart: launching.pendingRestart))
        return [.startTimer(.successorReady(launch), configuration.waitChild)]
    }

    mutating func successorReady(_ launch: LaunchID, unixPaths: [String], adopted: Int,
                                         confirms: Bool) -> [Action] {
        guard case .awaitingSuccessor(let awaiting) = state, awaiting.launch == launch else {
            if case .handingOver(let handingOver) = state, handingOver.launch == launch { return [] }
            return [.killSuccessor(launch)]
        }
        let drain = nextDrain
        nextDrain += 1
        state = .handingOver(HandingOver(launch: launch, pid: awaiting.pid, unixPaths: unixPaths, drain: drain,
                                         successorConfirms: confirms, restartOwed: awaiting.pendingRestart))
        let successor = "generation \(successorGeneration) (pid \(awaiting.pid))"
        var actions: [Action] = [
            .cancelTimer(.successorReady(launch)),
            .log(.info, "\(successor) is ready, took \(adopted) inherited socket\(adopted == 1 ? "" : "s"); handing over and draining"),
            .stopControlServer,
        ]
        if awaiting.pendingRestart {
            actions += [.log(.info, "passing the restart requested meanwhile on to pid \(awaiting.pid)"),
                        .forwardRestart(launch)]
        }
        actions += [
            .notify(.handedOver(successorPID: awaiting.pid,
                                status: "serving (generation \(successorGeneration), pid \(awaiting.pid))")),
            .drain(drain, afterShutdownDelay: false),
        ]
        return actions
    }

    /// The successor being started failed: keep serving; retry at once if a request came
    /// in meanwhile (perhaps with a fixed config).
    mutating func successorFailed(_ launch: LaunchID, _ failure: SuccessorFailure) -> [Action] {
        var actions: [Action]
        let retry: Bool
        switch state {
        case .launching(let launching) where launching.launch == launch:
            actions = []
            retry = launching.pendingRestart
        case .stopping:
            return launchSettled(launch)
        case .awaitingSuccessor(let awaiting) where awaiting.launch == launch:
            actions = [.cancelTimer(.successorReady(launch)), .killSuccessor(launch)]
            retry = awaiting.pendingRestart
        default:
            return []
        }
        state = .serving(Serving(predecessor: .gone))
        actions += [
            .log(.error, "restart failed, still serving as generation \(generation): \(failure.detail)"),
            .runHook(.restartFailed(failure)),
            .finishRestart(failed(failure), answerWaiters: !retry),
            .writePIDFile,
            .notify(.ready(status: status("reload failed: \(failure.summary)"))),
        ]
        if retry { actions += beginRestart() }
        return actions
    }

    mutating func timerFired(_ timer: Timer) -> [Action] {
        switch (timer, state) {
        case (.confirmation(let launch), .handingOver(var handingOver))
            where handingOver.launch == launch && handingOver.awaitingConfirmation:
            handingOver.confirmationTimedOut = true
            state = .handingOver(handingOver)
            return [.log(.warning, "generation \(successorGeneration) (pid \(handingOver.pid)) did not confirm the hand-over within \(configuration.turnTimeout.formatted); exiting if it runs"),
                    .checkSuccessor(launch)]
        case (.successorReady(let launch), .awaitingSuccessor(let awaiting)) where awaiting.launch == launch:
            return successorFailed(launch, SuccessorFailure(summary: "generation \(successorGeneration) was not ready within \(configuration.waitChild.formatted)"))
        case (.turn, .awaitingTurn(let turn)):
            let predecessor = "generation \(generation - 1) (pid \(configuration.predecessorPID ?? 0))"
            if configuration.stateful {
                return [.log(.warning, "\(predecessor) did not drain within \(configuration.turnTimeout.formatted); killing it"),
                        .killPredecessor]
                    + takeTurn(predecessor: .finished, pendingRestart: turn.pendingRestart)
            }
            return [.log(.warning, "\(predecessor) did not stop accepting within \(configuration.turnTimeout.formatted); accepting anyway")]
                + takeTurn(predecessor: .draining, pendingRestart: turn.pendingRestart)
        default:
            return []
        }
    }
}
