#if canImport(Glibc)
import Glibc
#endif
import CZeroDTSpawn
import Foundation
import Logging
import UnixSignals

/// The supervisor role (`Supervision`): the first process stays for the life of the service
/// and serves nothing. It starts generation 1 in a process group of its own, passes signals
/// on, reaps every child (orphans included, as PID 1 must), keeps a copy of the serving
/// generation's listening sockets, and starts a new generation on them when the service
/// dies without a hand-over. It carries out what `SupervisorStateMachine` decides.
struct Supervisor {
    enum Input: Sendable {
        case event(SupervisorStateMachine.Event)
        case message(SupervisorMessage, fds: [Int32])
        case garbled(String)
        /// A timer's sleep ended; `id` tells a current timer from one restarted since.
        case timerFired(SupervisorStateMachine.Timer, id: Int)
    }

    private let executable: String
    private let arguments: [String]
    /// The generations' environment, without anything private to this process.
    private let environment: [String: String]
    private let notifier: SystemdNotifier
    private let reopenLogs: @Sendable () -> Void
    private let logger: Logger
    private var machine: SupervisorStateMachine
    /// The sockets a new generation starts with: systemd's at first, then the serving
    /// generation's.
    private var held: [InheritedSocket]
    /// Sockets of `serving` messages not yet complete or not yet held.
    private var pending: [InheritedSocket] = []
    /// The timers running, each with the id of its latest start.
    private var timers: [SupervisorStateMachine.Timer: Int] = [:]
    private var nextTimerID = 0
    private var exitCode: Int32?
    private let reaper = Reaper()
    /// Whether stdin was a terminal at the start: a SIGHUP may then mean it hung up.
    private let startedInTerminal = isatty(STDIN_FILENO) == 1

    /// - Parameters:
    ///   - inherited: systemd's sockets, passed on to generation 1.
    ///   - environment: this process's environment; what it has from systemd or a
    ///     predecessor is not passed on.
    init(executable: String, arguments: [String], environment: [String: String], inherited: [InheritedSocket],
         notifier: SystemdNotifier, reopenLogs: @escaping @Sendable () -> Void,
         configuration: SupervisorStateMachine.Configuration = .init(), logger: Logger) {
        self.reopenLogs = reopenLogs
        self.executable = executable
        self.arguments = arguments
        var environment = environment
        // Generations report to this process; systemd hears from it alone (its main pid).
        for name in Runtime.ownVariables + ["NOTIFY_SOCKET"] { environment[name] = nil }
        self.environment = environment
        self.notifier = notifier
        held = inherited
        machine = SupervisorStateMachine(configuration: configuration)
        self.logger = logger
    }

    /// Supervises until the service has stopped; returns the exit status for this process.
    mutating func run(signals: UnixSignalsSequence) async -> Int32 {
        // Generations that lose their parent are reparented here rather than to init, so that
        // they are reaped here and their status known.
        let subreaper = zerodt_become_subreaper()
        if subreaper != 0 { logger.warning("\(SystemError(call: "prctl(PR_SET_CHILD_SUBREAPER)", errno: subreaper))") }
        let (inputs, continuation) = AsyncStream.makeStream(of: Input.self)
        let inbox = SupervisorInbox(continuation: continuation)
        reaper.start { pid, status in inbox.yield(.event(.childExited(pid: pid, status: status))) }
        return await withTaskGroup(of: Void.self) { group in
            group.addTask { [startedInTerminal] in
                for await signal in signals {
                    let meaning = Self.meaning(of: signal, startedInTerminal: startedInTerminal)
                    inbox.yieldAfterWaitingMessages(.event(.signal(meaning)))
                }
            }
            process(.started, group: &group, inbox: inbox)
            for await input in inputs {
                switch input {
                case .event(.channelClosed):
                    // A chain that ended halfway through a `serving` message.
                    release(&pending)
                    process(.channelClosed, group: &group, inbox: inbox)
                case .event(let event):
                    process(event, group: &group, inbox: inbox)
                case .timerFired(let timer, let id):
                    guard timers[timer] == id else { continue }
                    timers[timer] = nil
                    process(.timerFired(timer), group: &group, inbox: inbox)
                case .message(let message, let fds):
                    receive(message, fds: fds, group: &group, inbox: inbox)
                case .garbled(let why):
                    logger.warning("ignoring a message from a generation: \(why)")
                }
                if exitCode != nil { break }
            }
            group.cancelAll()
            return exitCode ?? 1
        }
    }

    private static func meaning(of signal: UnixSignal, startedInTerminal: Bool) -> SupervisorStateMachine.Signal {
        switch signal {
        case .sighup: return startedInTerminal && terminalHungUp() ? .hangUp : .restart(SIGHUP)
        case .sigusr2: return .restart(SIGUSR2)
        case .sigint: return .stop(SIGINT)
        case .sigquit: return .quit
        case .sigusr1: return .reopenLogs
        default: return .stop(SIGTERM)
        }
    }

    private mutating func receive(_ message: SupervisorMessage, fds: [Int32], group: inout TaskGroup<Void>,
                                  inbox: SupervisorInbox) {
        let event: SupervisorStateMachine.Event
        switch message.kind {
        case .started:
            event = .handlesSignals(pid: message.pid)
        case .serving:
            let systemd = Set(message.systemd)
            pending += fds.indices.map { InheritedSocket(fd: fds[$0], name: message.names[$0], fromSystemd: systemd.contains($0)) }
            guard !message.more else { return }
            event = .serving(pid: message.pid, generation: message.generation)
        case .stopping:
            event = .stopping(pid: message.pid, generation: message.generation)
        case .exiting:
            event = .exiting(pid: message.pid, generation: message.generation, status: message.status ?? 0)
        case .handingOver:
            guard let successor = message.successor else { return }
            event = .handingOver(pid: message.pid, successor: successor)
        case .failed:
            event = .failed(pid: message.pid, generation: message.generation, reason: message.reason ?? "no reason given")
        }
        process(event, group: &group, inbox: inbox)
        // Not held (a stop came first, or the chain is over): closed.
        release(&pending)
    }

    /// Feeds `event` to the machine and carries out its actions; a launch is answered before
    /// anything else, so that the machine knows the chain runs before any news of it.
    private mutating func process(_ event: SupervisorStateMachine.Event, group: inout TaskGroup<Void>,
                                  inbox: SupervisorInbox) {
        var queue = [event]
        while !queue.isEmpty {
            for action in machine.handle(queue.removeFirst()) {
                if let answer = perform(action, group: &group, inbox: inbox) { queue.append(answer) }
            }
        }
    }

    private mutating func perform(_ action: SupervisorStateMachine.Action, group: inout TaskGroup<Void>,
                                  inbox: SupervisorInbox) -> SupervisorStateMachine.Event? {
        switch action {
        case .launch(let generation):
            return launch(generation: generation, inbox: inbox)
        case .holdSockets:
            release(&held)
            held = pending
            pending = []
        case .releaseSockets:
            release(&held)
            release(&pending)
        case .sendSignal(let signal, let pid):
            _ = kill(pid, signal)
        case .signalGroup(let signal, let group):
            _ = kill(-group, signal)
        case .startTimer(let timer, let duration):
            nextTimerID += 1
            let id = nextTimerID
            timers[timer] = id
            group.addTask {
                guard (try? await Task.sleep(for: duration)) != nil else { return }
                inbox.yield(.timerFired(timer, id: id))
            }
        case .cancelTimer(let timer):
            timers[timer] = nil
        case .notify(let fields):
            notifier.notify(fields)
        case .reopenOwnLogs:
            reopenLogs()
        case .log(let level, let message):
            logger.log(level: level, "\(message)")
        case .exit(let code):
            exitCode = code
        }
        return nil
    }

    private func release(_ sockets: inout [InheritedSocket]) {
        sockets.forEach { Posix.close($0.fd) }
        sockets.removeAll()
    }

    /// Starts `generation` with the held sockets and a new channel, whose reader reports
    /// every message and, once every generation of the chain has exited, the end.
    private func launch(generation: Int, inbox: SupervisorInbox) -> SupervisorStateMachine.Event {
        var pair: [Int32] = [-1, -1]
        let pid: Int32
        do {
            try Posix.call("socketpair") {
                socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair)
            }
            var environment = environment
            environment["LISTEN_FDS"] = String(held.count)
            environment["LISTEN_FDNAMES"] = SocketActivation.namesVariable(held.map(\.name))
            environment[SocketActivation.systemdVariable] = SocketActivation.systemdVariable(held.map(\.fromSystemd))
            environment[SupervisorLink.variable] = String(SocketActivation.firstFD + Int32(held.count))
            environment[Runtime.generationVariable] = String(generation)
            defer { Posix.close(pair[1]) }
            pid = try Spawn.start(path: executable, arguments: arguments, environment: environment,
                                  fds: held.map(\.fd) + [pair[1]], setListenPID: true, newProcessGroup: true)
        } catch {
            if pair[0] >= 0 { Posix.close(pair[0]) }
            return .launchFailed("\(error)")
        }
        // Whatever the reader and the reaper report reaches the machine after `launched`.
        let channel = pair[0]
        inbox.attach(channel)
        Thread.detachNewThread { inbox.read(channel) }
        reaper.wake()
        return .launched(pid: pid)
    }

    /// A terminal that hung up answers every request on it with EIO.
    private static func terminalHungUp() -> Bool {
        var attributes = termios()
        return tcgetattr(STDIN_FILENO, &attributes) != 0 && errno == EIO
    }
}
