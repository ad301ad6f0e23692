import TestSupport
@testable import ZeroDT

/// A fake world of generations, each running its own `RestartStateMachine`, in which a
/// seeded scheduler delivers every pending event in a random order (FIFO per channel, as a
/// socket is), injects signals, `reload`s, stops, pid-file failures and SIGKILLs at random
/// moments, and checks the restart contract's invariants after every step.
struct RestartWorld {
    enum Startup: CaseIterable {
        case normal, failsConfig, hangs, crashes
    }

    struct Process {
        let pid: Int32
        var machine: RestartStateMachine
        var parent: Int32?
        /// The parent's name for this process's launch.
        var launch: RestartStateMachine.LaunchID?
        var startup: Startup
        var alive = true
        var accepting = false
        /// Successors by launch, and the launches the driver has a handle for.
        var children: [RestartStateMachine.LaunchID: Int32] = [:]
        var known: Set<RestartStateMachine.LaunchID> = []
        var reloadWaiters = 0
        var controlServing = false
        /// Its release confirms a hand-over (`tookOver`, `accepting`, `stopping`); an older
        /// one never says those.
        var confirms = true

        var started: Bool {
            if case .starting = machine.state { return false }
            return true
        }
    }

    /// Where an event travels: delivered in order within a channel, in any order across them.
    enum Channel: Hashable {
        case startup(Int32)
        case childToParent(Int32)
        case parentToChild(Int32)
        /// The EOF of the predecessor's end, seen apart from its messages.
        case predecessorEOF(Int32)
        case signals(Int32)
        case spawn(Int32, RestartStateMachine.LaunchID)
        case drain(Int32, RestartStateMachine.DrainID)
        case timer(Int32, RestartStateMachine.Timer)
    }

    enum Delivery {
        case event(RestartStateMachine.Event)
        /// The process finishes its start-up in its own way (`Startup`).
        case finishStartup
    }

    struct Pending {
        var target: Int32
        var channel: Channel
        var delivery: Delivery
    }

    struct Violation: Error, CustomStringConvertible {
        var description: String
    }

    let stateful: Bool
    private(set) var processes: [Int32: Process] = [:]
    private(set) var pidFile: Int32?
    private var pending: [Pending] = []
    private var rng: SplitMix64
    private var nextPID: Int32 = 100
    private(set) var trace: [String] = []
    private var faultsLeft: Int
    private var failingPIDFile = false
    /// A stop was delivered somewhere, or a generation that held the only copy of the
    /// listeners was killed: the service may legitimately end with nobody serving.
    private var serviceMayEnd = false
    private var stopped: Set<Int32> = []
    /// Old generations whose wait for a confirmation ran out (a wedged successor): they exit
    /// without it, as they must.
    private var gaveUpWaiting: Set<Int32> = []
    /// Every process was told to stop: nobody may be left at the end.
    private var stoppedAll = false

    init(seed: UInt64, stateful: Bool) {
        rng = SplitMix64(seed: seed)
        self.stateful = stateful
        faultsLeft = Int(rng.next() % 40) + 5
        let pid = spawn(parent: nil, launch: nil, startup: .normal)
        enqueue(pid, .startup(pid), .finishStartup)
    }

    /// Runs the schedule to quiescence, checking invariants after every step.
    mutating func run(maximumSteps: Int = 5_000) throws {
        var steps = 0
        while try step() {
            steps += 1
            if steps > maximumSteps { throw Violation(description: "no quiescence after \(maximumSteps) steps") }
        }
        try checkQuiescent()
    }

    // MARK: Scheduling

    private mutating func step() throws -> Bool {
        pending.removeAll { processes[$0.target]?.alive != true }
        var eligible: [Int] = []
        var timers: [Int] = []
        var seen = Set<Channel>()
        for (index, item) in pending.enumerated() where seen.insert(item.channel).inserted {
            guard deliverable(item) else { continue }
            if case .timer = item.channel { timers.append(index) } else { eligible.append(index) }
        }
        if faultsLeft > 0, eligible.isEmpty || rng.next() % 4 == 0 {
            faultsLeft -= 1
            try injectFault()
            return true
        }
        // Timers are long (seconds): they fire once nothing else can happen, and now and
        // then early (a slow successor, an old release that never confirms), except the
        // turn's, which only a wedged predecessor lets run out.
        let early = timers.filter { index in
            if case .timer(_, .turn) = pending[index].channel { return false }
            return true
        }
        let choices = eligible.isEmpty ? timers : (rng.next() % 16 == 0 ? eligible + early : eligible)
        guard !choices.isEmpty else { return false }
        let item = pending.remove(at: choices[Int(rng.next() % UInt64(choices.count))])
        try deliver(item)
        return true
    }

    private func deliverable(_ item: Pending) -> Bool {
        guard let process = processes[item.target] else { return false }
        switch item.channel {
        case .startup: return true
        // The driver listens to its predecessor and to signals only once it has started.
        case .parentToChild, .predecessorEOF, .signals: return process.started
        default: return true
        }
    }

    private mutating func injectFault() throws {
        let alive = processes.values.filter { $0.alive && $0.started }.map(\.pid).sorted()
        guard !alive.isEmpty else { return }
        let target = alive[Int(rng.next() % UInt64(alive.count))]
        switch rng.next() % 16 {
        case 0, 1, 2, 3:
            note("fault: SIGHUP to \(target)")
            try feed(target, .restartRequested(.signal))
        case 4, 5, 6:
            guard let owner = processes.values.first(where: { $0.alive && $0.controlServing }) else { return }
            note("fault: reload command to \(owner.pid)")
            try feed(owner.pid, .restartRequested(.command), fromCommand: true)
        case 7:
            serviceMayEnd = true
            stoppedAll = true
            // systemd signals the whole cgroup: a successor still starting too (its runtime
            // holds the signal until its loop runs).
            let everyone = processes.values.filter(\.alive).map(\.pid).sorted()
            note("fault: SIGTERM to every process")
            stopped.formUnion(everyone)
            for pid in everyone { try feed(pid, .stopRequested(bySignal: true)) }
        case 8:
            serviceMayEnd = true
            stopped.insert(target)
            note("fault: SIGTERM to \(target) alone")
            try feed(target, .stopRequested(bySignal: true))
        case 9:
            guard let owner = processes.values.first(where: { $0.alive && $0.controlServing }) else { return }
            serviceMayEnd = true
            stopped.insert(owner.pid)
            note("fault: stop command to \(owner.pid)")
            try feed(owner.pid, .stopRequested(bySignal: false))
        case 10, 11:
            failingPIDFile.toggle()
            note("fault: pid-file writes \(failingPIDFile ? "fail" : "work") from now on")
        default:
            note("fault: SIGKILL to \(target)")
            if processes[target]?.parent.flatMap({ processes[$0]?.alive }) != true { serviceMayEnd = true }
            try die(target, status: "was killed by signal 9")
        }
    }

    private mutating func deliver(_ item: Pending) throws {
        switch item.delivery {
        case .event(let event):
            switch event {
            case .successorLaunched(let launch, _): processes[item.target]?.known.insert(launch)
            case .timerFired(.confirmation): gaveUpWaiting.insert(item.target)
            // The servers have stopped accepting by the time the driver hears of it.
            case .acceptingStopped: processes[item.target]?.accepting = false
            default: break
            }
            try feed(item.target, event)
        case .finishStartup:
            try finishStartup(item.target)
        }
    }

    private mutating func finishStartup(_ pid: Int32) throws {
        guard let process = processes[pid] else { return }
        switch process.startup {
        case .normal:
            try feed(pid, .started)
        case .failsConfig:
            if let parent = process.parent, let launch = process.launch {
                enqueue(parent, .childToParent(pid), .event(.successorFailed(launch, SuccessorFailure(
                    summary: "invalid config: site.yaml:3:1: error: unknown key", detail: "invalid config:\n…"))))
            }
            try die(pid, status: "exited with status 1")
        case .hangs:
            note("\(pid) hangs in its start-up")
        case .crashes:
            try die(pid, status: "was killed by signal 6 (core dumped)")
        }
    }

    // MARK: Processes

    private mutating func spawn(parent: Int32?, launch: RestartStateMachine.LaunchID?, startup: Startup) -> Int32 {
        let pid = nextPID
        nextPID += 1
        let generation = parent.flatMap { processes[$0]?.machine.configuration.generation }.map { $0 + 1 } ?? 1
        var configuration = RestartStateMachine.Configuration(
            generation: generation, pid: pid, stateful: stateful, predecessorPID: parent,
            waitChild: .seconds(60), turnTimeout: .seconds(10))
        configuration.predecessorKnowsStopping = parent.flatMap { processes[$0]?.confirms } ?? true
        processes[pid] = Process(pid: pid, machine: RestartStateMachine(configuration: configuration), parent: parent,
                                 launch: launch, startup: startup)
        note("\(pid) is generation \(generation) (\(startup))")
        return pid
    }

    private mutating func die(_ pid: Int32, status: String) throws {
        guard var process = processes[pid], process.alive else { return }
        process.alive = false
        process.accepting = false
        process.controlServing = false
        processes[pid] = process
        pending.removeAll { $0.target == pid }
        note("\(pid) is gone: it \(status)")
        // Its end of every control channel closes: EOF after whatever it had sent.
        if let parent = process.parent, let launch = process.launch, processes[parent]?.alive == true {
            enqueue(parent, .childToParent(pid), .event(.successorExited(launch, status: status)))
        }
        // Every stage a successor waits for completes at EOF too, each in its own time.
        for child in process.children.values where processes[child]?.alive == true {
            enqueue(child, .parentToChild(child), .event(.predecessorStoppedAccepting))
            enqueue(child, .parentToChild(child), .event(.predecessorFinished))
            enqueue(child, .predecessorEOF(child), .event(.predecessorExited))
        }
    }

    private mutating func feed(_ pid: Int32, _ event: RestartStateMachine.Event, fromCommand: Bool = false) throws {
        guard var process = processes[pid], process.alive else { return }
        let actions = process.machine.handle(event)
        processes[pid] = process
        note("\(pid) ← \(event) → \(process.machine.stateDescription)")
        for action in actions {
            guard processes[pid]?.alive == true else { return }
            if let answer = try perform(action, by: pid, fromCommand: fromCommand) {
                try feed(pid, answer)
            }
        }
        try checkInvariants()
    }

    // MARK: Actions

    private mutating func perform(_ action: RestartStateMachine.Action, by pid: Int32,
                                  fromCommand: Bool) throws -> RestartStateMachine.Event? {
        guard let process = processes[pid] else { return nil }
        switch action {
        case .reportReady:
            if let parent = process.parent, let launch = process.launch {
                enqueue(parent, .childToParent(pid), .event(.successorReady(launch, unixPaths: [], adopted: 1,
                                                                            confirms: process.confirms)))
            }
        case .startAccepting, .resumeAccepting:
            processes[pid]?.accepting = true
        case .reportAccepting, .reportTookOver, .reportStopping:
            if process.confirms, let parent = process.parent, let launch = process.launch {
                let event: RestartStateMachine.Event = switch action {
                case .reportAccepting: .successorAccepting(launch)
                case .reportTookOver: .successorTookOver(launch)
                default: .successorStopping(launch)
                }
                enqueue(parent, .childToParent(pid), .event(event))
            }
        case .startTimer(let timer, _):
            enqueue(pid, .timer(pid, timer), .event(.timerFired(timer)))
        case .cancelTimer(let timer):
            pending.removeAll { $0.channel == .timer(pid, timer) }
        case .launchSuccessor(let launch, _):
            if rng.next() % 20 == 0 {
                enqueue(pid, .spawn(pid, launch), .event(.successorLaunchFailed(
                    launch, SuccessorFailure(summary: "cannot start: fork: Resource temporarily unavailable"))))
                return nil
            }
            let startups = Startup.allCases
            let startup = rng.next() % 4 == 0 ? startups[Int(rng.next() % UInt64(startups.count))] : .normal
            let child = spawn(parent: pid, launch: launch, startup: startup)
            // Now and then a successor of an older release.
            if rng.next() % 8 == 0 { processes[child]?.confirms = false }
            processes[pid]?.children[launch] = child
            enqueue(pid, .childToParent(child), .event(.successorLaunched(launch, pid: child)))
            enqueue(child, .startup(child), .finishStartup)
        case .killSuccessor(let launch):
            if process.known.contains(launch), let child = process.children[launch] {
                try die(child, status: "was killed by signal 9")
            }
        case .checkSuccessor(let launch):
            if let child = process.children[launch], processes[child]?.alive == true { return .successorAlive(launch) }
        case .killPredecessor:
            if let parent = process.parent { try die(parent, status: "was killed by signal 9") }
        case .forwardRestart(let launch):
            if let child = process.children[launch] {
                enqueue(child, .signals(child), .event(.restartRequested(.signal)))
            }
        case .forwardStop(let launch):
            if let child = process.children[launch], processes[child]?.confirms == true {
                stopped.insert(child)
                enqueue(child, .parentToChild(child), .event(.stopRequested(bySignal: false)))
            }
        case .tellSuccessor(let launch, let stage):
            if let child = process.children[launch] {
                enqueue(child, .parentToChild(child), .event(stage == .acceptingStopped
                    ? .predecessorStoppedAccepting : .predecessorFinished))
            }
        case .startControlServer:
            processes[pid]?.controlServing = true
        case .stopControlServer:
            processes[pid]?.controlServing = false
        case .drain(let drain, _):
            enqueue(pid, .drain(pid, drain), .event(.acceptingStopped(drain)))
            enqueue(pid, .drain(pid, drain), .event(.drainStarted(drain)))
            enqueue(pid, .drain(pid, drain), .event(.drained(drain)))
        case .writePIDFile:
            if failingPIDFile && rng.next() % 2 == 0 { return .pidFileWritten(ok: false) }
            pidFile = pid
            return .pidFileWritten(ok: true)
        case .awaitReload:
            if fromCommand { processes[pid]?.reloadWaiters += 1 }
        case .abandonReloads:
            processes[pid]?.reloadWaiters = 0
        case .finishRestart(_, let answerWaiters):
            if answerWaiters { processes[pid]?.reloadWaiters = 0 }
        case .exit(let ending):
            // After a stop (which reached the successor too) a second signal may end it with
            // the successor's death still unheard of: the service is stopping anyway.
            if case .handedOver(let successor, _, _) = ending, !stopped.contains(pid) {
                if processes[successor]?.alive != true {
                    throw violation("\(pid) exited handing over to \(successor), which is gone")
                }
                // Stateful: the successor accepts only once told; the old one waits to hear it does.
                // (An older release never says so, and is not waited for.)
                if stateful && processes[successor]?.accepting != true && processes[successor]?.confirms == true
                    && !gaveUpWaiting.contains(pid) && !stopped.contains(successor) {
                    throw violation("\(pid) exited before its stateful successor \(successor) accepted")
                }
            }
            if process.reloadWaiters > 0 { throw violation("\(pid) exited with a reload unanswered") }
            // The driver cancels a launch still under way, and its task kills what it spawned.
            for (launch, child) in process.children where !process.known.contains(launch) {
                try die(child, status: "was killed by signal 9")
            }
            try die(pid, status: "exited with status 0")
        case .runHook, .notify, .log, .refuseReload:
            break
        }
        return nil
    }

    private mutating func enqueue(_ target: Int32, _ channel: Channel, _ delivery: Delivery) {
        pending.append(Pending(target: target, channel: channel, delivery: delivery))
    }

    // MARK: Invariants

    private func checkInvariants() throws {
        let alive = processes.values.filter(\.alive)
        let accepting = alive.filter(\.accepting).map(\.pid)
        if accepting.count > 1 { throw violation("two generations accept at once: \(accepting.sorted())") }
        let starting = alive.filter { process in
            switch process.machine.state {
            case .starting, .awaitingTurn: return process.parent != nil
            default: return false
            }
        }
        if starting.count > 1 { throw violation("two successors are starting: \(starting.map(\.pid).sorted())") }
        let draining = alive.filter { if case .handingOver = $0.machine.state { return true } else { return false } }
        if draining.count > 1 { throw violation("two old generations drain: \(draining.map(\.pid).sorted())") }
    }

    private func checkQuiescent() throws {
        let alive = processes.values.filter(\.alive)
        // (A successor hung in its start-up never gets to its signals: systemd's stop timeout
        // is for that.)
        if stoppedAll, alive.contains(where: { !($0.startup == .hangs && !$0.started) }) {
            throw violation("every process was stopped, yet \(alive.map(\.pid).sorted()) still run")
        }
        // After a stop, or a kill that left nobody holding the listeners, nobody need serve;
        // nobody must accept wrongly either, which `checkInvariants` saw at every step.
        if serviceMayEnd && !alive.contains(where: \.accepting) { return }
        guard let server = alive.first else {
            throw violation("nobody serves, and nothing stopped or killed the last server")
        }
        if alive.count > 1 { throw violation("more than one generation is left: \(alive.map(\.pid).sorted())") }
        guard case .serving = server.machine.state, server.accepting else {
            throw violation("the last generation \(server.pid) is \(server.machine.stateDescription), not accepting")
        }
        if pidFile != server.pid && !server.machine.pidFileOwed {
            throw violation("the pid file names \(pidFile.map(String.init) ?? "nobody"), not \(server.pid)")
        }
        if server.reloadWaiters > 0 { throw violation("a reload to \(server.pid) was never answered") }
    }

    private func violation(_ text: String) -> Violation {
        Violation(description: text + "\ntrace:\n" + trace.suffix(60).joined(separator: "\n"))
    }

    private mutating func note(_ line: String) {
        trace.append(line)
    }
}
