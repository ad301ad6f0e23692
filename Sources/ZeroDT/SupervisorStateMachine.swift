#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The supervisor's decisions, with no I/O (`Supervisor` carries them out): when to start a
/// generation, where a signal goes, which sockets to keep, and when the service has ended,
/// with which exit status.
///
/// A *chain* is the generations that descend from one generation the supervisor started:
/// they share one channel to it, which reaches end-of-file when the last of them exits. A
/// chain that ends after a stop ends the service; one that ends without a stop has crashed
/// (killed, out of memory), and a new chain starts on the sockets the supervisor kept, at
/// once the first time, then with a doubling backoff while generations keep dying soon.
struct SupervisorStateMachine {
    struct Configuration: Sendable {
        /// The wait before the second start in a row after a crash; doubled for each further one.
        var firstBackoff: Duration = .milliseconds(250)
        var maximumBackoff: Duration = .seconds(30)
        /// How long a generation must serve for its death to count as a first crash again.
        var stableAfter: Duration = .seconds(10)
        /// Once every generation has exited, how long to wait for the last one's status: it
        /// is reaped here unless an older generation, still draining, reaped it.
        var reapGrace: Duration = .seconds(2)
    }

    /// What the signals the supervisor traps mean.
    enum Signal: Equatable, Sendable {
        /// SIGHUP, SIGUSR2: forwarded to the serving generation.
        case restart(Int32)
        /// SIGTERM, SIGINT: forwarded to the serving generation, which drains and stops.
        case stop(Int32)
        /// SIGQUIT: every generation is sent SIGQUIT, which stops it without a drain.
        case quit
    }

    enum Timer: Hashable, Sendable {
        case relaunch
        case stable
        case reapGrace
    }

    enum Event: Equatable, Sendable {
        case started
        case launched(pid: Int32)
        case launchFailed(String)
        /// A generation accepts connections; the sockets it sent are pending in the driver.
        case serving(pid: Int32, generation: Int)
        /// A generation was asked to stop.
        case stopping(pid: Int32, generation: Int)
        case signal(Signal)
        /// Every generation of the chain has exited.
        case channelClosed
        case childExited(pid: Int32, status: ProcessStatus)
        case timerFired(Timer)
    }

    enum Action: Equatable, Sendable {
        /// Start `generation` with the sockets held (if any) and a new channel.
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
        case log(Logger.Level, String)
        case exit(Int32)
    }

    /// The generations started from one launch.
    struct Chain: Equatable {
        /// The latest generation heard of (launched or serving).
        var generation: Int
        /// Where signals go: the serving generation, or the one launched until it serves.
        var target: Int32?
        /// The process group every generation of the chain is in: the launched one's pid.
        var group: Int32?
        var served = false
    }

    enum State: Equatable {
        case launching(Chain)
        case running(Chain)
        /// A crashed chain is restarted after `relaunch` fires.
        case awaitingRelaunch(generation: Int)
        /// Every generation has exited; waiting for the target's status.
        case ending(target: Int32?)
        case exited
    }

    let configuration: Configuration
    private(set) var state: State = .launching(Chain(generation: 1))
    private var stopSignal: Int32?
    private var quitting = false
    /// Crashes since a generation last served for `stableAfter`.
    private var crashes = 0
    private var everServed = false
    private var readyNotified = false
    /// Generations by pid, to name them when they are reaped.
    private var known: [Int32: Int] = [:]
    private var lastStatus: ProcessStatus?
    private var lastGeneration = 0

    init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    var stopRequested: Bool { stopSignal != nil || quitting }

    mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .started:
            return launch(generation: 1)
        case .launched(let pid):
            return launched(pid)
        case .launchFailed(let reason):
            return launchFailed(reason)
        case .serving(let pid, let generation):
            return serving(pid: pid, generation: generation)
        case .stopping(let pid, let generation):
            guard !stopRequested else { return [] }
            stopSignal = SIGTERM
            return [.log(.info, "generation \(generation) (pid \(pid)) is stopping; exiting once it has")] + releaseForStop()
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
        chain.target = pid
        chain.group = pid
        known[pid] = chain.generation
        state = .running(chain)
        // A stop that came while it was being started.
        if quitting { return [.signalGroup(SIGQUIT, group: pid)] }
        if let stopSignal { return [.sendSignal(stopSignal, to: pid)] }
        return []
    }

    private mutating func launchFailed(_ reason: String) -> [Action] {
        guard case .launching(let chain) = state else { return [] }
        let log = Action.log(.error, "cannot start generation \(chain.generation): \(reason)")
        guard everServed, !stopRequested else {
            state = .exited
            return [log, .exit(1)]
        }
        return [log] + relaunchAfterCrash(nextGeneration: chain.generation + 1)
    }

    private mutating func serving(pid: Int32, generation: Int) -> [Action] {
        guard case .running(var chain) = state else { return [.releaseSockets] }
        chain.target = pid
        chain.generation = generation
        chain.served = true
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
            case .running(let chain) where !stopRequested:
                return chain.target.map { [.sendSignal(number, to: $0)] } ?? []
            case .awaitingRelaunch(let generation):
                return [.cancelTimer(.relaunch), .log(.info, "restart requested: starting generation \(generation) now")]
                    + launch(generation: generation)
            default:
                return [.log(.info, "ignoring restart request: \(stateDescription)")]
            }
        case .stop(let number):
            let release = stopRequested ? [] : releaseForStop()
            if stopSignal == nil { stopSignal = number }
            // Every one is forwarded: a second one cuts the generation's drain short.
            return release + forwardStop { chain in chain.target.map { .sendSignal(number, to: $0) } }
        case .quit:
            let release = stopRequested ? [] : releaseForStop()
            quitting = true
            return release + forwardStop { chain in chain.group.map { .signalGroup(SIGQUIT, group: $0) } }
        }
    }

    /// A stop reaches the running chain through `signal`; with no generation left (a
    /// relaunch pending), the service has ended. During a launch, `launched` passes it on.
    private mutating func forwardStop(_ signal: (Chain) -> Action?) -> [Action] {
        switch state {
        case .running(let chain): return signal(chain).map { [$0] } ?? []
        case .awaitingRelaunch: return [.cancelTimer(.relaunch)] + exit()
        default: return []
        }
    }

    private func releaseForStop() -> [Action] {
        [.releaseSockets, .cancelTimer(.stable), .notify(["STOPPING=1"])]
    }

    private mutating func chainEnded() -> [Action] {
        guard case .running(let chain) = state else { return [] }
        let cancel = Action.cancelTimer(.stable)
        guard everServed, !stopRequested else {
            state = .ending(target: chain.target)
            if let target = chain.target, known[target] != nil {
                return [cancel, .startTimer(.reapGrace, configuration.reapGrace)]
            }
            return [cancel] + exit()
        }
        let who = chain.target.map { "generation \(chain.generation) (pid \($0))" } ?? "generation \(chain.generation)"
        let next = lastGeneration + 1
        return [cancel, .log(.warning, "\(who) ended without a hand-over; starting generation \(next) on the same sockets")]
            + relaunchAfterCrash(nextGeneration: next)
    }

    private mutating func relaunchAfterCrash(nextGeneration: Int) -> [Action] {
        crashes += 1
        guard crashes > 1 else { return launch(generation: nextGeneration) }
        var delay = configuration.firstBackoff
        for _ in 2..<crashes where delay < configuration.maximumBackoff { delay *= 2 }
        delay = min(delay, configuration.maximumBackoff)
        state = .awaitingRelaunch(generation: nextGeneration)
        lastGeneration = max(lastGeneration, nextGeneration)
        return [.log(.warning, "\(crashes) generations in a row ended early; waiting \(delay.formatted) before starting generation \(nextGeneration)"),
                .startTimer(.relaunch, delay)]
    }

    private mutating func reaped(_ pid: Int32, status: ProcessStatus) -> [Action] {
        guard let generation = known.removeValue(forKey: pid) else { return [] }
        lastStatus = status
        var actions: [Action] = []
        if status != ProcessStatus(raw: 0) {
            actions.append(.log(stopRequested ? .info : .warning, "generation \(generation) (pid \(pid)) \(status)"))
        }
        if case .ending(let target) = state, target == pid {
            actions += [.cancelTimer(.reapGrace)] + exit()
        }
        return actions
    }

    private mutating func exit() -> [Action] {
        state = .exited
        return [.exit(lastStatus?.exitCode ?? (stopRequested ? 0 : 1))]
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

extension ProcessStatus {
    /// The exit status a shell would report: the code, or 128 plus the signal.
    var exitCode: Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}
