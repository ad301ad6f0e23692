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
        /// A restart was asked for during the hand-over (and passed on to the successor): if
        /// the service comes back here, it is this generation's to run, once.
        var restartOwed = false
    }

    struct Stopping: Equatable {
        var drain: DrainID
        var signals: Int
        /// Stopped while awaiting its turn: the predecessor still holds the sockets.
        var beforeTurn = false
        /// A successor being spawned when the stop came: it is killed once it exists, and
        /// this generation does not exit before.
        var pendingLaunch: LaunchID?
        /// The predecessor still drains (it was told this one stops): exit after it.
        var awaitingPredecessor = false
        var drained = false
    }

    let configuration: Configuration
    /// Set only by the machine's own files (`RestartStateMachine+…`): events in, actions out.
    var state: State = .starting(Starting())
    var nextLaunch: LaunchID = 1
    var nextDrain: DrainID = 1
    /// A pid-file write failed: it is tried again at the next change of state.
    private(set) var pidFileOwed = false

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    var generation: Int { configuration.generation }
    var successorGeneration: Int { configuration.generation + 1 }

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

    func failed(_ failure: SuccessorFailure) -> RestartResult {
        RestartResult(ok: false, summary: failure.summary, detail: failure.detail, generation: generation,
                      pid: configuration.pid)
    }

    func status(_ text: String) -> String {
        "\(text) (generation \(generation), pid \(configuration.pid))"
    }
}
