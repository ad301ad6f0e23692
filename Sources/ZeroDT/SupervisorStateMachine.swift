#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The supervisor's decisions, with no I/O (`Supervisor` carries them out): when to start a
/// generation, where a signal goes, which sockets to keep, and when the service has ended,
/// with which exit status.
///
/// A *chain* is the generations that descend from one generation the supervisor started:
/// they share one channel to it, which reaches end-of-file when the last of them exits, and
/// one process group. A chain that ends after a stop ends the service; one that ends without
/// a stop has crashed (killed, out of memory), and a new chain starts on the sockets the
/// supervisor kept, at once the first time, then with a doubling backoff while generations
/// keep dying soon.
struct SupervisorStateMachine {
    struct Configuration: Sendable {
        /// The wait before the second start in a row after a crash; doubled for each further one.
        var firstBackoff: Duration = .milliseconds(250)
        var maximumBackoff: Duration = .seconds(30)
        /// How long a generation must serve for its death to count as a first crash again.
        var stableAfter: Duration = .seconds(10)
        /// Once every generation has exited without saying how, how long to wait for the last
        /// one's status: it is reaped here unless an older generation reaped it.
        var reapGrace: Duration = .seconds(2)
    }

    /// What the signals the supervisor traps mean.
    enum Signal: Equatable, Sendable {
        /// SIGHUP, SIGUSR2: passed to the serving generation.
        case restart(Int32)
        /// SIGTERM, SIGINT: passed to every generation, so that a second one cuts every
        /// drain short, an older generation's too (it is passed on as SIGQUIT).
        case stop(Int32)
        /// SIGQUIT: every generation is sent SIGQUIT, which stops it without a drain.
        case quit
        /// SIGUSR1: reopen log files, here and in every generation.
        case reopenLogs
        /// SIGHUP because the terminal the supervisor runs in went away (closed, logged out):
        /// a stop, as for any foreground program, not a restart into a terminal nobody reads.
        case hangUp
    }

    enum Timer: Hashable, Sendable {
        case relaunch
        case stable
        case reapGrace
    }

    enum Event: Equatable, Sendable {
        /// The supervisor is ready: generation 1 is to start.
        case started
        /// The generation `launch` asked for runs (its chain's channel is being read).
        case launched(pid: Int32)
        /// A generation has installed its signal handlers: signals no longer kill it.
        case handlesSignals(pid: Int32)
        /// It could not be started.
        case launchFailed(String)
        /// A generation accepts connections; the sockets it sent are pending in the driver.
        case serving(pid: Int32, generation: Int)
        /// A stop reached a generation (from us or otherwise): the service is ending.
        case stopping(pid: Int32, generation: Int)
        /// A generation that stopped is about to exit with `status`.
        case exiting(pid: Int32, generation: Int, status: Int32)
        /// The serving generation hands over to `successor`.
        case handingOver(pid: Int32, successor: Int32)
        /// A generation cannot start, for `reason`.
        case failed(pid: Int32, generation: Int, reason: String)
        case signal(Signal)
        /// Every generation of the chain has exited.
        case channelClosed
        /// A child was reaped (a generation, or an orphan that ended up here).
        case childExited(pid: Int32, status: ProcessStatus)
        case timerFired(Timer)
    }

    enum Action: Equatable, Sendable {
        /// Start `generation` with the sockets held (if any) and a new channel; answer with
        /// `launched` or `launchFailed` before anything else.
        case launch(generation: Int)
        /// Keep the sockets of the `serving` message just received, closing those held before.
        case holdSockets
        /// Close every socket held (and any pending): the service is stopping.
        case releaseSockets
        case sendSignal(Int32, to: Int32)
        case signalGroup(Int32, group: Int32)
        case startTimer(Timer, Duration)
        case cancelTimer(Timer)
        case notify([String])
        /// The supervisor's own log files (it writes to them too).
        case reopenOwnLogs
        case log(Logger.Level, String)
        case exit(Int32)
    }

    /// The generations started from one launch.
    struct Chain: Equatable {
        /// The latest generation heard of (launched or serving).
        var generation: Int
        /// The generation launched: its pid is the chain's process group.
        var group: Int32?
        /// The serving generation, once one has said so (or the successor it hands over to).
        var serving: Int32?
        /// Whether the launched generation has installed its signal handlers: until then a
        /// signal would kill it, so signals wait.
        var handlesSignals = false
        /// A restart signal that came too early.
        var pendingRestart: Int32?
        /// Stop signals that came too early, in order.
        var pendingStops: [Int32] = []

        /// Where a restart signal goes: the serving generation, or the launched one until
        /// something serves (it restarts once it serves).
        var restartTarget: Int32? { serving ?? group }
    }

    enum State: Equatable {
        /// Waiting for `launched` or `launchFailed`.
        case launching(Chain)
        /// The chain's channel is open: some generation of it lives.
        case running(Chain)
        /// A crashed chain is restarted after `relaunch` fires.
        case awaitingRelaunch(generation: Int)
        /// Every generation has exited; waiting for the status of `waitingFor`.
        case ending(waitingFor: Int32?)
        /// `exit` was returned.
        case exited
    }

    let configuration: Configuration
    private(set) var state: State = .launching(Chain(generation: 1))
    private var stopRequested = false
    /// Stop signals passed on so far (a stop a generation announced is not one).
    private var stopSignals = 0
    private var quitting = false
    /// Crashes since a generation last served for `stableAfter`.
    private var crashes = 0
    private var everServed = false
    private var readyNotified = false
    /// Generations by pid, to name them when they are reaped.
    private var known: [Int32: Int] = [:]
    /// The status the generations that stopped said they exit with: the first failure, else 0.
    private var announcedStatus: Int32?
    /// The status of the last generation reaped here.
    private var lastStatus: ProcessStatus?
    private var lastGeneration = 0

    init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .started:
            return launch(generation: 1)
        case .launched(let pid):
            return launched(pid)
        case .handlesSignals(let pid):
            return handlesSignals(pid)
        case .launchFailed(let reason):
            return launchFailed(reason)
        case .serving(let pid, let generation):
            return serving(pid: pid, generation: generation)
        case .stopping(let pid, let generation):
            guard !stopRequested else { return [] }
            return [.log(.info, "generation \(generation) (pid \(pid)) is stopping; exiting once it has")] + beginStop()
        case .exiting(let pid, let generation, let status):
            known[pid] = generation
            // A failure, from whichever generation, is not overwritten by another's success:
            // on a second stop signal the serving generation says its drain was cut short,
            // and the older one, told to stop too, may be the last to say it stopped.
            if announcedStatus == nil || announcedStatus == 0 { announcedStatus = status }
            return []
        case .handingOver(let pid, let successor):
            // Restarts go to the successor from now on: the old generation is on its way out.
            guard case .running(var chain) = state, chain.serving == pid else { return [] }
            chain.serving = successor
            state = .running(chain)
            return []
        case .failed(let pid, let generation, let reason):
            return [.log(.error, "generation \(generation) (pid \(pid)) cannot start: \(reason)")]
        case .signal(let signal):
            return received(signal)
        case .channelClosed:
            return chainEnded()
        case .childExited(let pid, let status):
            return reaped(pid, status: status)
        case .timerFired(.relaunch):
            guard case .awaitingRelaunch(let generation) = state else { return [] }
            return launch(generation: generation)
        case .timerFired(.stable):
            crashes = 0
            return []
        case .timerFired(.reapGrace):
            guard case .ending = state else { return [] }
            return exit()
        }
    }

    private mutating func launch(generation: Int) -> [Action] {
        state = .launching(Chain(generation: generation))
        lastGeneration = max(lastGeneration, generation)
        return [.launch(generation: generation)]
    }

    private mutating func launched(_ pid: Int32) -> [Action] {
        guard case .launching(var chain) = state else { return [] }
        chain.group = pid
        known[pid] = chain.generation
        state = .running(chain)
        // A quit before anything could drain: nothing to wait for.
        return quitting ? [.signalGroup(SIGKILL, group: pid)] : []
    }

    private mutating func handlesSignals(_ pid: Int32) -> [Action] {
        guard case .running(var chain) = state, chain.group == pid, !chain.handlesSignals else { return [] }
        chain.handlesSignals = true
        let restart = chain.pendingRestart
        let stops = chain.pendingStops
        chain.pendingRestart = nil
        chain.pendingStops = []
        state = .running(chain)
        var actions = stops.map { Action.signalGroup($0, group: pid) }
        if let restart, !stopRequested { actions.append(.sendSignal(restart, to: pid)) }
        return actions
    }

    private mutating func launchFailed(_ reason: String) -> [Action] {
        guard case .launching(let chain) = state else { return [] }
        let log = Action.log(.error, "cannot start generation \(chain.generation): \(reason)")
        guard everServed, !stopRequested else {
            state = .exited
            return [log, .exit(1)]
        }
        return [log] + relaunchAfterCrash(nextGeneration: chain.generation + 1,
                                          because: "generation \(chain.generation) could not be started")
    }

    private mutating func serving(pid: Int32, generation: Int) -> [Action] {
        // Not this chain's (it has ended): the driver drops the sockets it carried.
        guard case .running(var chain) = state else { return [] }
        chain.serving = pid
        chain.generation = generation
        state = .running(chain)
        known[pid] = generation
        lastGeneration = max(lastGeneration, generation)
        everServed = true
        if stopRequested { return [.releaseSockets] }
        var actions: [Action] = [.holdSockets, .cancelTimer(.stable), .startTimer(.stable, configuration.stableAfter)]
        if !readyNotified {
            readyNotified = true
            actions.append(.notify(["READY=1", "STATUS=generation \(generation) serving"]))
        }
        return actions
    }

    private mutating func received(_ signal: Signal) -> [Action] {
        switch signal {
        case .restart(let number):
            switch state {
            case .running(var chain) where !stopRequested:
                guard chain.handlesSignals, let target = chain.restartTarget else {
                    chain.pendingRestart = number
                    state = .running(chain)
                    return []
                }
                return [.log(.info, "\(Self.name(of: number)): passing it on to pid \(target)"), .sendSignal(number, to: target)]
            case .awaitingRelaunch(let generation):
                return [.cancelTimer(.relaunch), .log(.info, "restart requested: starting generation \(generation) now")]
                    + launch(generation: generation)
            default:
                return [.log(.info, "ignoring restart request: \(stateDescription)")]
            }
        case .stop(let number):
            let begin = (stopRequested ? [] : beginStop()) + [.log(.info, "\(Self.name(of: number)): stopping every generation")]
            // The kernel merges a signal still pending in a generation with the same one sent
            // again (and Dispatch merges the ones it has not handed over yet), so a second
            // SIGINT could reach a busy generation as one, and its drain would run on: any
            // stop signal after the first goes on as SIGQUIT, which stops at once on its own.
            stopSignals += 1
            let passed = stopSignals == 1 ? number : SIGQUIT
            switch state {
            case .running(var chain):
                guard chain.handlesSignals, let group = chain.group else {
                    chain.pendingStops.append(passed)
                    state = .running(chain)
                    return begin
                }
                return begin + [.signalGroup(passed, group: group)]
            case .launching(var chain):
                chain.pendingStops.append(passed)
                state = .launching(chain)
                return begin
            case .awaitingRelaunch:
                // Nothing runs: stopped as asked.
                announcedStatus = 0
                return begin + [.cancelTimer(.relaunch)] + exit()
            case .ending, .exited:
                return begin
            }
        case .reopenLogs:
            // Every generation writes logs, draining ones too; one that does not handle
            // signals yet ignores SIGUSR1 (the spawn sets that) and opens them itself.
            guard case .running(let chain) = state, let group = chain.group else { return [.reopenOwnLogs] }
            return [.reopenOwnLogs, .signalGroup(SIGUSR1, group: group)]
        case .hangUp:
            return [.log(.info, "the terminal hung up")] + received(.stop(SIGTERM))
        case .quit:
            let begin = (stopRequested ? [] : beginStop()) + [.log(.info, "SIGQUIT: stopping every generation at once")]
            quitting = true
            switch state {
            case .running(let chain):
                // Unhandled, SIGQUIT would dump a backtrace; there is nothing to drain yet.
                let signal = chain.handlesSignals ? SIGQUIT : SIGKILL
                return begin + (chain.group.map { [.signalGroup(signal, group: $0)] } ?? [])
            case .awaitingRelaunch:
                announcedStatus = 0
                return begin + [.cancelTimer(.relaunch)] + exit()
            case .launching, .ending, .exited:
                return begin
            }
        }
    }

    private mutating func beginStop() -> [Action] {
        stopRequested = true
        return [.releaseSockets, .cancelTimer(.stable), .notify(["STOPPING=1"])]
    }

    private mutating func chainEnded() -> [Action] {
        guard case .running(let chain) = state else { return [] }
        let cancel = Action.cancelTimer(.stable)
        guard everServed, !stopRequested else {
            // Whoever exited last said how, or is reaped here in a moment.
            let last = chain.serving ?? chain.group
            guard announcedStatus == nil, let last, known[last] != nil else { return [cancel] + exit() }
            state = .ending(waitingFor: last)
            return [cancel, .startTimer(.reapGrace, configuration.reapGrace)]
        }
        let who = chain.serving.map { "generation \(chain.generation) (pid \($0))" } ?? "generation \(chain.generation)"
        let what = chain.serving == nil ? "exited before it served" : "ended without a hand-over"
        return [cancel] + relaunchAfterCrash(nextGeneration: lastGeneration + 1, because: "\(who) \(what)")
    }

    private mutating func relaunchAfterCrash(nextGeneration: Int, because why: String) -> [Action] {
        crashes += 1
        guard crashes > 1 else {
            return [.log(.warning, "\(why); starting generation \(nextGeneration) on the same sockets")]
                + launch(generation: nextGeneration)
        }
        var delay = configuration.firstBackoff
        for _ in 2..<crashes where delay < configuration.maximumBackoff { delay *= 2 }
        delay = min(delay, configuration.maximumBackoff)
        state = .awaitingRelaunch(generation: nextGeneration)
        lastGeneration = max(lastGeneration, nextGeneration)
        return [.log(.warning, "\(why) (\(crashes) in a row ended early); starting generation \(nextGeneration) on the same sockets in \(delay.formatted) (SIGHUP starts it now)"),
                .startTimer(.relaunch, delay)]
    }

    private static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        case SIGUSR2: return "SIGUSR2"
        default: return "signal \(signal)"
        }
    }

    private mutating func reaped(_ pid: Int32, status: ProcessStatus) -> [Action] {
        guard let generation = known.removeValue(forKey: pid) else { return [] }
        lastStatus = status
        var actions: [Action] = []
        if status != ProcessStatus(raw: 0) {
            actions.append(.log(stopRequested ? .info : .warning, "generation \(generation) (pid \(pid)) \(status)"))
        }
        if case .ending(let waitingFor) = state, waitingFor == pid {
            actions += [.cancelTimer(.reapGrace)] + exit()
        }
        return actions
    }

    private mutating func exit() -> [Action] {
        state = .exited
        return [.exit(announcedStatus ?? lastStatus?.exitCode ?? (stopRequested ? 0 : 1))]
    }

    var stateDescription: String {
        switch state {
        case .launching(let chain): return "generation \(chain.generation) is starting"
        case .running: return stopRequested ? "stopping" : "serving"
        case .awaitingRelaunch(let generation): return "waiting to start generation \(generation)"
        case .ending, .exited: return "exiting"
        }
    }
}
