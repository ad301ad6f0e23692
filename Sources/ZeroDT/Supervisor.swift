#if canImport(Glibc)
import Glibc
#endif
import CZeroDTSpawn
import Foundation
import Logging
import UnixSignals

/// The supervisor role (`Supervision`): the first process stays for the life of the service
/// and serves nothing. It starts generation 1 in a process group of its own, forwards
/// signals to the serving generation, reaps every child (orphans included, as PID 1 must),
/// keeps a copy of the serving generation's listening sockets, and starts a new generation on
/// them when the service dies without a hand-over. It carries out what
/// `SupervisorStateMachine` decides.
struct Supervisor {
    enum Input: Sendable {
        case event(SupervisorStateMachine.Event)
        case message(SupervisorMessage, fds: [Int32])
        case garbled(String)
    }

    private let executable: String
    private let arguments: [String]
    /// The generations' environment, without anything private to this process.
    private let environment: [String: String]
    private let notifier: SystemdNotifier
    private let logger: Logger
    private var machine: SupervisorStateMachine
    /// The sockets a new generation starts with: systemd's at first, then the serving
    /// generation's.
    private var held: [InheritedSocket]
    /// Sockets of `serving` messages not yet complete or not yet held.
    private var pending: [InheritedSocket] = []
    private var activeTimers: Set<SupervisorStateMachine.Timer> = []
    private var exitCode: Int32?
    private let reaper = Reaper()

    /// - Parameters:
    ///   - inherited: systemd's sockets, passed on to generation 1.
    ///   - environment: this process's environment; what it has from systemd or a
    ///     predecessor is not passed on.
    init(executable: String, arguments: [String], environment: [String: String], inherited: [InheritedSocket],
         configuration: SupervisorStateMachine.Configuration = .init(), logger: Logger) {
        self.executable = executable
        self.arguments = arguments
        var environment = environment
        // Generations report to this process; systemd hears from it alone (its main pid).
        for name in SocketActivation.variables + Runtime.privateVariables + ["NOTIFY_SOCKET"] { environment[name] = nil }
        self.environment = environment
        notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment)
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
        reaper.start { pid, status in continuation.yield(.event(.childExited(pid: pid, status: status))) }
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await signal in signals {
                    continuation.yield(.event(.signal(Self.meaning(of: signal))))
                }
            }
            await process(.started, group: &group, continuation: continuation)
            for await input in inputs {
                switch input {
                case .event(.timerFired(let timer)) where activeTimers.remove(timer) == nil:
                    continue
                case .event(let event):
                    await process(event, group: &group, continuation: continuation)
                case .message(let message, let fds):
                    await receive(message, fds: fds, group: &group, continuation: continuation)
                case .garbled(let why):
                    logger.warning("ignoring a message from a generation: \(why)")
                }
                if exitCode != nil { break }
            }
            group.cancelAll()
            return exitCode ?? 1
        }
    }

    private static func meaning(of signal: UnixSignal) -> SupervisorStateMachine.Signal {
        switch signal {
        case .sighup: return .restart(SIGHUP)
        case .sigusr2: return .restart(SIGUSR2)
        case .sigint: return .stop(SIGINT)
        case .sigquit: return .quit
        default: return .stop(SIGTERM)
        }
    }

    private mutating func receive(_ message: SupervisorMessage, fds: [Int32], group: inout TaskGroup<Void>,
                                  continuation: AsyncStream<Input>.Continuation) async {
        switch message.kind {
        case .serving:
            let systemd = Set(message.systemd)
            pending += fds.indices.map { InheritedSocket(fd: fds[$0], name: message.names[$0], fromSystemd: systemd.contains($0)) }
            guard !message.more else { return }
            await process(.serving(pid: message.pid, generation: message.generation), group: &group,
                          continuation: continuation)
            // Not held: a stop came first.
            release(&pending)
        case .stopping:
            await process(.stopping(pid: message.pid, generation: message.generation), group: &group,
                          continuation: continuation)
        }
    }

    private mutating func process(_ event: SupervisorStateMachine.Event, group: inout TaskGroup<Void>,
                                  continuation: AsyncStream<Input>.Continuation) async {
        for action in machine.handle(event) {
            switch action {
            case .launch(let generation):
                launch(generation: generation, continuation: continuation)
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
                activeTimers.insert(timer)
                group.addTask {
                    guard (try? await Task.sleep(for: duration)) != nil else { return }
                    continuation.yield(.event(.timerFired(timer)))
                }
            case .cancelTimer(let timer):
                activeTimers.remove(timer)
            case .notify(let fields):
                notifier.notify(fields)
            case .log(let level, let message):
                logger.log(level: level, "\(message)")
            case .exit(let code):
                exitCode = code
            }
        }
    }

    private func release(_ sockets: inout [InheritedSocket]) {
        sockets.forEach { Posix.close($0.fd) }
        sockets.removeAll()
    }

    /// Starts `generation` with the held sockets and a new channel, whose reader reports
    /// every message and, once every generation of the chain has exited, the end.
    private func launch(generation: Int, continuation: AsyncStream<Input>.Continuation) {
        do {
            let pid = try start(generation: generation) { channel in
                Thread.detachNewThread {
                    Self.read(channel, into: continuation)
                }
            }
            reaper.wake()
            continuation.yield(.event(.launched(pid: pid)))
        } catch {
            continuation.yield(.event(.launchFailed("\(error)")))
        }
    }

    private func start(generation: Int, reading: (Int32) -> Void) throws(SystemError) -> Int32 {
        var pair: [Int32] = [-1, -1]
        try Posix.call("socketpair") {
            socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair)
        }
        var environment = environment
        environment["LISTEN_FDS"] = String(held.count)
        environment["LISTEN_FDNAMES"] = SocketActivation.namesVariable(held.map(\.name))
        environment[SocketActivation.systemdVariable] = held.indices.filter { held[$0].fromSystemd }.map(String.init)
            .joined(separator: ",")
        environment[SupervisorLink.variable] = String(SocketActivation.firstFD + Int32(held.count))
        environment[Runtime.generationVariable] = String(generation)
        let pid: Int32
        do {
            pid = try Spawn.start(path: executable, arguments: arguments, environment: environment,
                                  fds: held.map(\.fd) + [pair[1]], setListenPID: true, newProcessGroup: true)
        } catch {
            Posix.close(pair[0])
            Posix.close(pair[1])
            throw error
        }
        Posix.close(pair[1])
        reading(pair[0])
        return pid
    }

    private static func read(_ channel: Int32, into continuation: AsyncStream<Input>.Continuation) {
        defer { Posix.close(channel) }
        while true {
            switch SupervisorMessage.receive(from: channel) {
            case .message(let message, let fds):
                continuation.yield(.message(message, fds: fds))
            case .garbled(let why):
                continuation.yield(.garbled(why))
            case .failed(let error):
                // It would fail again at once: the chain is as good as gone.
                continuation.yield(.garbled("\(error)"))
                continuation.yield(.event(.channelClosed))
                return
            case .endOfFile:
                continuation.yield(.event(.channelClosed))
                return
            }
        }
    }
}
