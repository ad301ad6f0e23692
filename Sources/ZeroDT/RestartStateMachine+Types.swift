import Logging

extension RestartStateMachine {
    /// Identifies one attempt to start a successor, so that late news of an earlier attempt
    /// (its exit after it was killed, say) is told apart from the current one.
    typealias LaunchID = Int
    /// Identifies one drain: a drain abandoned by a take-back may still finish later.
    typealias DrainID = Int

    /// What one generation knows about itself when its machine starts.
    struct Configuration: Equatable, Sendable {
        var generation: Int
        var pid: Int32
        /// Stateful mode: a successor accepts only once its predecessor has drained.
        var stateful: Bool
        /// Set in a successor: the generation it takes over from.
        var predecessorPID: Int32?
        /// How long a successor of this generation may take to be ready.
        var waitChild: Duration
        /// How long this generation, as a successor, waits for its turn: `wait_parent` in
        /// stateful mode, otherwise for its predecessor to stop accepting.
        var turnTimeout: Duration
        /// The predecessor's release understands `stopping` (and so stops with this one).
        var predecessorKnowsStopping = true
        /// The file a successor runs, for the log.
        var executable = ""
    }

    /// Where a restart request came from.
    enum Trigger: Equatable, Sendable {
        case signal
        /// A `reload` on the control socket: its client waits for the outcome.
        case command
        case fileChanged(String)
    }

    /// The machine's timers; each fires at most once per start.
    enum Timer: Hashable, Sendable {
        /// A successor waits this long for its predecessor to stop accepting (stateless) or
        /// to drain (stateful, `wait_parent`).
        case turn
        /// A starting successor must be ready within `wait_child`.
        case successorReady(LaunchID)
        /// An old generation that has drained waits this long for its successor to confirm
        /// the hand-over (an older successor binary never does).
        case confirmation(LaunchID)
    }

    /// What a predecessor tells its successor during a hand-over.
    enum Stage: Equatable, Sendable {
        case acceptingStopped
        case shutdownComplete
    }

    /// Code of the user's that runs at fixed points (`Runtime.Hooks`).
    enum Hook: Equatable, Sendable {
        case preParentExit
        case completeShutdown
        case restartFailed(SuccessorFailure)
        case resumed
        case stopping
    }

    /// How a generation ends.
    enum Ending: Equatable, Sendable {
        /// The successor serves; `unixPaths` are the unix sockets it declares (kept on disk).
        /// `cutShort`: a second stop signal ended the drain, and a supervisor hears exit
        /// status 1 for it, as for any drain cut short (the service is stopping).
        case handedOver(successorPID: Int32, unixPaths: [String], cutShort: Bool = false)
        /// Drained after a stop request.
        case stopped
        /// Stopped while awaiting its turn: the predecessor keeps the sockets and serves on,
        /// so nothing on disk is removed.
        case stoppedBeforeTurn
        /// A second stop signal cut the drain short.
        case interrupted
    }

    /// How a restart ended, and who serves after it.
    struct RestartResult: Equatable, Sendable {
        var ok: Bool
        /// One line, for `status` and the status module.
        var summary: String
        /// Everything, for the log and `reload`'s answer.
        var detail: String
        var generation: Int
        var pid: Int32
    }

    /// What systemd is told (`sd_notify`); `status` is the text of `STATUS=`.
    enum Notification: Equatable, Sendable {
        /// `RELOADING=1`: a successor is starting.
        case reloading(status: String)
        /// `READY=1`: this process serves (again).
        case ready(status: String)
        /// `MAINPID=` of the successor that took over, and `READY=1`.
        case handedOver(successorPID: Int32, status: String)
        /// `MAINPID=` of this process again: it took the service back from a dead successor.
        case tookBack(status: String)
        case stopping(status: String)
    }

    /// Everything that can happen to a generation.
    enum Event: Equatable, Sendable {
        /// The servers have adopted their sockets and `preServe` passed.
        case started
        case restartRequested(Trigger)
        /// `bySignal` counts toward the second signal that cuts a drain short; a programmatic
        /// stop (or `zerodt-serve stop`) never does.
        case stopRequested(bySignal: Bool)
        /// The predecessor no longer accepts.
        case predecessorStoppedAccepting
        /// The predecessor has drained and exits, or is gone.
        case predecessorFinished
        /// The predecessor's end of the control channel closed: it has exited or died.
        case predecessorExited
        case successorLaunched(LaunchID, pid: Int32)
        case successorLaunchFailed(LaunchID, SuccessorFailure)
        /// `confirms`: its release says when it took over and accepts (`ControlMessage`
        /// version 2); an older one never does, and is not waited for.
        case successorReady(LaunchID, unixPaths: [String], adopted: Int, confirms: Bool)
        case successorFailed(LaunchID, SuccessorFailure)
        /// The successor's process is gone (`status` says how it ended).
        case successorExited(LaunchID, status: String)
        /// Answer to `checkSuccessor`: it still runs.
        case successorAlive(LaunchID)
        /// The successor says it accepts connections.
        case successorAccepting(LaunchID)
        /// The successor says it is stopping (a stop reached it).
        case successorStopping(LaunchID)
        /// The successor says it took over: this generation stopped accepting, and the pid
        /// file names the successor.
        case successorTookOver(LaunchID)
        /// Every server of this generation has stopped accepting.
        case acceptingStopped(DrainID)
        /// `preShutdown` has run and every server holds its drain.
        case drainStarted(DrainID)
        /// Every connection of this drain is closed.
        case drained(DrainID)
        case timerFired(Timer)
        case pidFileWritten(ok: Bool)
    }

    /// What the owner must do, in order.
    enum Action: Equatable, Sendable {
        /// Tell the predecessor this generation is ready to take over.
        case reportReady
        /// Tell the predecessor this generation accepts now.
        case reportAccepting
        /// Tell the predecessor this generation took over (its pid is in the pid file).
        case reportTookOver
        /// Tell the predecessor this generation is stopping: it must not serve again.
        case reportStopping
        case startAccepting
        /// Accept again after a successor died during the hand-over.
        case resumeAccepting
        case startTimer(Timer, Duration)
        case cancelTimer(Timer)
        case launchSuccessor(LaunchID, generation: Int)
        case killSuccessor(LaunchID)
        /// Answer at once with `successorAlive` or `successorExited`.
        case checkSuccessor(LaunchID)
        case killPredecessor
        /// Ask the successor to restart once more (a request that came in meanwhile).
        case forwardRestart(LaunchID)
        /// Ask the successor to stop (a stop that reached only this generation).
        case forwardStop(LaunchID)
        case tellSuccessor(LaunchID, Stage)
        case startControlServer
        case stopControlServer
        /// Stop accepting (then `acceptingStopped`), run `preShutdown`, start draining (then
        /// `drainStarted`), and once every connection is closed, `drained`. A stop (not a
        /// hand-over) lets each server accept for its `shutdownDelay` first.
        case drain(DrainID, afterShutdownDelay: Bool)
        case runHook(Hook)
        /// Write this process's pid to the pid file; answer with `pidFileWritten`.
        case writePIDFile
        case notify(Notification)
        case log(Logger.Level, String)
        /// A `reload` client waits for the outcome of the restart this request started or joined.
        case awaitReload
        case refuseReload(String)
        /// Answer every waiting `reload` client: the restart will not happen.
        case abandonReloads(String)
        /// A restart ended; answer the waiting `reload` clients unless a retry follows.
        case finishRestart(RestartResult, answerWaiters: Bool)
        /// Leave: the driver's remaining work (a drain cut short) is cancelled, which closes
        /// whatever connections are left.
        case exit(Ending)
    }
}
