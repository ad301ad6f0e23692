/// Every restart decision of one generation, as a plain value: events in, actions out
/// (DESIGN §3). The driver (`RestartDriver`) feeds it what happened and carries out what it
/// returns; no other type decides.
///
/// One generation's life: `starting` → (a successor: `awaitingTurn` →) `serving` ⇄
/// `launching` → `awaitingSuccessor` → `handingOver` → exit; or `stopping` → exit. Only one
/// successor is ever starting, a request during a restart is coalesced into one more, and
/// a restart waits while the predecessor still drains, so at most one old generation drains.
/// A successor that dies before this generation has exited gives the service back to it.
struct RestartStateMachine {
    enum State: Equatable {
        /// Servers are being set up; requests that arrive are kept for later.
        case starting(Starting)
        /// A successor that reported ready waits for its predecessor to stop accepting
        /// (stateless) or to finish draining (stateful), or for `turnTimeout`.
        case awaitingTurn(AwaitingTurn)
        /// Accepting, no successor.
        case serving(Serving)
        /// A successor is being spawned.
        case launching(Launching)
        /// The successor runs; waiting for it to report ready, fail, die or time out.
        case awaitingSuccessor(AwaitingSuccessor)
        /// The successor is ready: this generation stops accepting, drains and exits, unless
        /// the successor dies first.
        case handingOver(HandingOver)
        /// Draining after a stop request.
        case stopping(Stopping)
        case exited(Ending)
    }

    struct Starting: Equatable {
        var pendingRestart = false
        /// Stop requests so far, and how many were signals.
        var stopRequested = false
        var stopSignals = 0
    }

    struct AwaitingTurn: Equatable {
        var predecessorStoppedAccepting = false
        var pendingRestart = false
    }

    struct Serving: Equatable {
        /// A restart waits until the predecessor has exited, so at most one old generation
        /// ever drains.
        var predecessor: PredecessorPhase
        var deferredRestart = false
    }

    enum PredecessorPhase: Equatable {
        case gone
        case draining
        /// Drained (`preParentExit` has run), not yet exited.
        case finished
    }

    struct Launching: Equatable {
        var launch: LaunchID
        var pendingRestart = false
    }

    struct AwaitingSuccessor: Equatable {
        var launch: LaunchID
        var pid: Int32
        var pendingRestart: Bool
    }

    struct HandingOver: Equatable {
        var launch: LaunchID
        var pid: Int32
        var unixPaths: [String]
        var drain: DrainID
        /// Whether the successor's release confirms the hand-over (`tookOver`, `accepting`).
        var successorConfirms: Bool
        var acceptingStopped = false
        /// `preShutdown` has run and the servers hold the drain: a take-back must not race with
        /// either.
        var drainStarted = false
        /// Drained; asked whether the successor still runs before exiting.
        var confirming = false
        /// Drained and told the successor so; waiting for it to confirm (`isConfirmed`).
        var awaitingConfirmation = false
        var confirmationTimedOut = false
        var successorAccepting = false
        /// The restart's success was reported: the successor said it took over (its pid is
        /// in the pid file), or this generation is about to exit.
        var reported = false
        /// Stop requests so far (the drain goes on) and how many of them were signals.
        var stopRequested = false
        var stopSignals = 0
        /// The successor said it is stopping: this is the end of the service, not a hand-over.
        var successorStopping = false
        /// The successor died before this generation stopped accepting: take the service back
        /// once it has.
        var successorGone: SuccessorFailure?
    }

    struct Stopping: Equatable {
        var drain: DrainID
        var signals: Int
        /// Stopped while awaiting its turn: the predecessor still holds the sockets.
        var beforeTurn = false
        /// A successor being spawned when the stop came: it is killed once it exists, and
        /// this generation does not exit before.
        var pendingLaunch: LaunchID?
        var drained = false
    }

    let configuration: Configuration
    private(set) var state: State = .starting(Starting())
    private var nextLaunch: LaunchID = 1
    private var nextDrain: DrainID = 1
    /// A pid-file write failed: it is tried again at the next change of state.
    private(set) var pidFileOwed = false

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    private var generation: Int { configuration.generation }
    private var successorGeneration: Int { configuration.generation + 1 }

    /// What `status` says.
    var stateDescription: String {
        switch state {
        case .starting: return "starting"
        case .awaitingTurn: return "taking over"
        case .serving: return "serving"
        case .launching, .awaitingSuccessor: return "restarting"
        case .handingOver: return "handing over"
        case .stopping: return "stopping"
        case .exited: return "exited"
        }
    }

    /// Whether this generation accepts connections in its current state.
    var isAccepting: Bool {
        switch state {
        case .serving, .launching, .awaitingSuccessor: return true
        case .handingOver(let handingOver): return !handingOver.acceptingStopped && !handingOver.confirming
        case .starting, .awaitingTurn, .stopping, .exited: return false
        }
    }

    mutating func handle(_ event: Event) -> [Action] {
        let before = state
        var actions: [Action]
        switch event {
        case .started: actions = started()
        case .restartRequested(let trigger): actions = restartRequested(trigger)
        case .stopRequested(let bySignal): actions = stopRequested(bySignal: bySignal)
        case .predecessorStoppedAccepting: actions = predecessorStoppedAccepting()
        case .predecessorFinished: actions = predecessorFinished()
        case .predecessorExited: actions = predecessorExited()
        case .successorLaunched(let launch, let pid): actions = successorLaunched(launch, pid: pid)
        case .successorLaunchFailed(let launch, let failure): actions = successorFailed(launch, failure)
        case .successorReady(let launch, let unixPaths, let adopted, let confirms):
            actions = successorReady(launch, unixPaths: unixPaths, adopted: adopted, confirms: confirms)
        case .successorFailed(let launch, let failure): actions = successorFailed(launch, failure)
        case .successorExited(let launch, let status): actions = successorExited(launch, status: status)
        case .successorAlive(let launch): actions = successorAlive(launch)
        case .successorAccepting(let launch): actions = successorAccepting(launch)
        case .successorTookOver(let launch): actions = successorTookOver(launch)
        case .acceptingStopped(let drain): actions = acceptingStopped(drain)
        case .drainStarted(let drain): actions = drainStarted(drain)
        case .drained(let drain): actions = drained(drain)
        case .successorStopping(let launch): actions = successorStopping(launch)
        case .timerFired(let timer): actions = timerFired(timer)
        case .pidFileWritten(let ok):
            pidFileOwed = !ok
            actions = []
        }
        if pidFileOwed, state != before, ownsPIDFile, !actions.contains(.writePIDFile) {
            actions.append(.writePIDFile)
        }
        return actions
    }

    /// Whether this generation is the one the pid file should name.
    private var ownsPIDFile: Bool {
        switch state {
        case .serving, .launching, .awaitingSuccessor: return true
        case .awaitingTurn(let turn): return turn.predecessorStoppedAccepting
        case .starting, .handingOver, .stopping, .exited: return false
        }
    }

    // MARK: Start and turn

    private mutating func started() -> [Action] {
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
    private mutating func takeTurn(predecessor: PredecessorPhase, pendingRestart: Bool) -> [Action] {
        var actions: [Action] = [.cancelTimer(.turn), .writePIDFile, .reportTookOver]
        if predecessor != .draining { actions.append(.runHook(.preParentExit)) }
        actions += [.startAccepting, .reportAccepting, .startControlServer]
        state = .serving(Serving(predecessor: predecessor))
        if pendingRestart { actions += restartRequested(.signal) }
        return actions
    }

    private mutating func predecessorStoppedAccepting() -> [Action] {
        guard case .awaitingTurn(var turn) = state, !turn.predecessorStoppedAccepting else { return [] }
        turn.predecessorStoppedAccepting = true
        state = .awaitingTurn(turn)
        // Stateful mode accepts only once the predecessor has drained, but this generation is
        // the one to signal from now on, so the pid file names it.
        if configuration.stateful { return [.writePIDFile, .reportTookOver] }
        return takeTurn(predecessor: .draining, pendingRestart: turn.pendingRestart)
    }

    private mutating func predecessorFinished() -> [Action] {
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
    private mutating func predecessorExited() -> [Action] {
        switch state {
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

    // MARK: Restart

    private mutating func restartRequested(_ trigger: Trigger) -> [Action] {
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
        case .handingOver, .stopping, .exited:
            if trigger == .command {
                return [.refuseReload("this generation is \(stateDescription); retry to reach the serving one")]
            }
            return log + [.log(.info, "ignoring restart request: this generation is \(stateDescription)")]
        }
    }

    private mutating func beginRestart(pendingRestart: Bool = false) -> [Action] {
        let launch = nextLaunch
        nextLaunch += 1
        state = .launching(Launching(launch: launch, pendingRestart: pendingRestart))
        return [
            .log(.info, "restart requested: starting generation \(successorGeneration)"),
            .notify(.reloading(status: status("reloading"))),
            .launchSuccessor(launch, generation: successorGeneration),
        ]
    }

    private mutating func successorLaunched(_ launch: LaunchID, pid: Int32) -> [Action] {
        guard case .launching(let launching) = state, launching.launch == launch else {
            // Spawned for a restart that a stop has abandoned meanwhile.
            return [.killSuccessor(launch)] + launchSettled(launch)
        }
        state = .awaitingSuccessor(AwaitingSuccessor(launch: launch, pid: pid,
                                                     pendingRestart: launching.pendingRestart))
        return [.startTimer(.successorReady(launch), configuration.waitChild)]
    }

    private mutating func successorReady(_ launch: LaunchID, unixPaths: [String], adopted: Int,
                                         confirms: Bool) -> [Action] {
        guard case .awaitingSuccessor(let awaiting) = state, awaiting.launch == launch else {
            if case .handingOver(let handingOver) = state, handingOver.launch == launch { return [] }
            return [.killSuccessor(launch)]
        }
        let drain = nextDrain
        nextDrain += 1
        state = .handingOver(HandingOver(launch: launch, pid: awaiting.pid, unixPaths: unixPaths, drain: drain,
                                         successorConfirms: confirms))
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
            .drain(drain),
        ]
        return actions
    }

    /// The successor being started failed: keep serving; retry at once if a request came
    /// in meanwhile (perhaps with a fixed config).
    private mutating func successorFailed(_ launch: LaunchID, _ failure: SuccessorFailure) -> [Action] {
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

    private mutating func timerFired(_ timer: Timer) -> [Action] {
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

    // MARK: Hand-over

    private mutating func acceptingStopped(_ drain: DrainID) -> [Action] {
        guard case .handingOver(var handingOver) = state, handingOver.drain == drain else { return [] }
        handingOver.acceptingStopped = true
        state = .handingOver(handingOver)
        if handingOver.successorGone != nil { return [] }
        return [.tellSuccessor(handingOver.launch, .acceptingStopped)]
    }

    private mutating func drainStarted(_ drain: DrainID) -> [Action] {
        guard case .handingOver(var handingOver) = state, handingOver.drain == drain else { return [] }
        handingOver.drainStarted = true
        state = .handingOver(handingOver)
        if let failure = handingOver.successorGone, !handingOver.stopRequested { return takeBack(failure) }
        return []
    }

    /// The successor is stopping (a stop reached it, not this generation): the service is
    /// being stopped, so its exit is no reason to serve again.
    private mutating func successorStopping(_ launch: LaunchID) -> [Action] {
        guard case .handingOver(var handingOver) = state, handingOver.launch == launch, !handingOver.stopRequested
        else { return [] }
        handingOver.stopRequested = true
        handingOver.successorStopping = true
        state = .handingOver(handingOver)
        return [.log(.info, "generation \(successorGeneration) (pid \(handingOver.pid)) is stopping; this generation finishes its drain and stops too")]
    }

    private mutating func drained(_ drain: DrainID) -> [Action] {
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
            guard stopping.pendingLaunch == nil else {
                stopping.drained = true
                state = .stopping(stopping)
                return []
            }
            return finishStop(ending: stopping.beforeTurn ? .stoppedBeforeTurn : .stopped)
        default:
            return []
        }
    }

    private mutating func successorAlive(_ launch: LaunchID) -> [Action] {
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
    private func isConfirmed(_ handingOver: HandingOver) -> Bool {
        guard handingOver.successorConfirms else { return true }
        return configuration.stateful ? handingOver.successorAccepting : handingOver.reported
    }

    private mutating func successorAccepting(_ launch: LaunchID) -> [Action] {
        guard case .handingOver(var handingOver) = state, handingOver.launch == launch else { return [] }
        handingOver.successorAccepting = true
        state = .handingOver(handingOver)
        return confirmationArrived(handingOver)
    }

    private mutating func successorTookOver(_ launch: LaunchID) -> [Action] {
        guard case .handingOver(var handingOver) = state, handingOver.launch == launch, !handingOver.reported
        else { return [] }
        handingOver.reported = true
        state = .handingOver(handingOver)
        return [tookOver(handingOver)] + confirmationArrived(handingOver)
    }

    private func confirmationArrived(_ handingOver: HandingOver) -> [Action] {
        guard handingOver.awaitingConfirmation, isConfirmed(handingOver) else { return [] }
        // It may have died right after saying so.
        return [.cancelTimer(.confirmation(handingOver.launch)), .checkSuccessor(handingOver.launch)]
    }

    private func tookOver(_ handingOver: HandingOver) -> Action {
        let successor = "generation \(successorGeneration) (pid \(handingOver.pid)) took over"
        return .finishRestart(RestartResult(ok: true, summary: successor, detail: successor,
                                            generation: successorGeneration, pid: handingOver.pid),
                              answerWaiters: true)
    }

    private mutating func exitHandingOver(_ handingOver: HandingOver) -> [Action] {
        let ending = handingOver.successorStopping ? Ending.stopped
            : .handedOver(successorPID: handingOver.pid, unixPaths: handingOver.unixPaths)
        state = .exited(ending)
        // A successor of an older release never says it took over; a stop ends the wait.
        return (handingOver.reported ? [] : [tookOver(handingOver)]) + [.exit(ending)]
    }

    private mutating func successorExited(_ launch: LaunchID, status: String) -> [Action] {
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
                if handingOver.awaitingConfirmation {
                    state = .exited(.stopped)
                    // `completeShutdown` has run already.
                    return [.abandonReloads("stop requested; the restart was abandoned"), .exit(.stopped)]
                }
                if handingOver.confirming { return finishStop() }
                return [.log(.warning, "\(failure.summary); stopping as requested")]
            }
            // Taking back before this generation has stopped accepting and started its drain
            // (`preShutdown` included) would race with both.
            guard handingOver.drainStarted else { return [] }
            return takeBack(failure)
        default:
            return []
        }
    }

    /// The successor died during the hand-over and this generation still holds every
    /// listening socket: serve again, as if the restart had failed.
    private mutating func takeBack(_ failure: SuccessorFailure) -> [Action] {
        state = .serving(Serving(predecessor: .gone))
        return [
            .log(.error, "\(failure.summary); serving again as generation \(generation)"),
            .resumeAccepting,
            .startControlServer,
            .writePIDFile,
            .notify(.tookBack(status: status("serving again: \(failure.summary)"))),
            .runHook(.resumed),
            .runHook(.restartFailed(failure)),
            .finishRestart(failed(failure), answerWaiters: true),
        ]
    }

    // MARK: Stop

    private mutating func stopRequested(bySignal: Bool) -> [Action] {
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
                return [log] + exitHandingOver(handingOver)
            }
            handingOver.stopRequested = true
            if bySignal { handingOver.stopSignals += 1 }
            state = .handingOver(handingOver)
            return [.log(.info, "stop requested: finishing the drain already under way")]
        case .stopping(var stopping):
            guard bySignal else { return [] }
            stopping.signals += 1
            guard stopping.signals >= 2 else {
                state = .stopping(stopping)
                return [.log(.info, "stop requested: finishing the drain already under way")]
            }
            let ending: Ending = stopping.beforeTurn ? .stoppedBeforeTurn : .interrupted
            state = .exited(ending)
            return [.log(.warning, "second stop signal: exiting without finishing the drain"), .exit(ending)]
        case .exited:
            return []
        }
    }

    private mutating func beginStop(bySignal: Bool, beforeTurn: Bool = false) -> [Action] {
        let drain = nextDrain
        nextDrain += 1
        let predecessorAround: Bool
        switch state {
        case .awaitingTurn: predecessorAround = true
        case .serving(let serving): predecessorAround = serving.predecessor != .gone
        default: predecessorAround = false
        }
        state = .stopping(Stopping(drain: drain, signals: bySignal ? 1 : 0, beforeTurn: beforeTurn))
        // A predecessor still draining must not take the service back when this one exits.
        return (predecessorAround ? [.reportStopping] : []) + [
            .stopControlServer,
            .abandonReloads("stop requested; the restart was abandoned"),
            .notify(.stopping(status: status("stopping"))),
            .log(.info, "stopping: draining connections"),
            .drain(drain),
        ]
    }

    /// A launch a stop abandoned has ended (the child exists and is being killed, or never
    /// existed): a drained generation may exit now.
    private mutating func launchSettled(_ launch: LaunchID) -> [Action] {
        guard case .stopping(var stopping) = state, stopping.pendingLaunch == launch else { return [] }
        stopping.pendingLaunch = nil
        state = .stopping(stopping)
        guard stopping.drained else { return [] }
        return finishStop(ending: stopping.beforeTurn ? .stoppedBeforeTurn : .stopped)
    }

    private mutating func finishStop(ending: Ending = .stopped) -> [Action] {
        state = .exited(ending)
        return [.runHook(.completeShutdown), .abandonReloads("stop requested; the restart was abandoned"),
                .exit(ending)]
    }

    private func failed(_ failure: SuccessorFailure) -> RestartResult {
        RestartResult(ok: false, summary: failure.summary, detail: failure.detail, generation: generation,
                      pid: configuration.pid)
    }

    private func status(_ text: String) -> String {
        "\(text) (generation \(generation), pid \(configuration.pid))"
    }
}
