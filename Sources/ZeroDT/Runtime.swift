import Foundation
import Logging
import NIOConcurrencyHelpers
import UnixSignals

/// The process side of zero-downtime restarts (DESIGN §3): inherits listening sockets from
/// a predecessor or systemd, serves, starts a successor on SIGHUP or SIGUSR2 and hands over
/// to it, drains on SIGTERM or SIGINT.
///
/// Usage: `bootstrap()` first (it installs the signal handlers and takes the inherited
/// sockets), then claim listeners from `listeners`, build servers on them and call
/// `serve(_:options:logger:)`. A successor that cannot start calls `fail(_:)` instead.
public final class Runtime: Sendable {
    /// How restarts behave; the defaults are the stateless mode of DESIGN §3.
    public struct Options: Sendable {
        /// How long a successor may take to report ready before it is killed.
        public static let defaultWaitChild: Duration = .seconds(60)

        /// See `defaultWaitChild`.
        public var waitChild: Duration = Options.defaultWaitChild
        /// Above zero, stateful mode: a successor reports ready but accepts only once its
        /// predecessor has drained, or kills it after this long.
        public var waitParent: Duration = .zero
        /// Where the current generation's pid is written.
        public var pidFile: String?
        /// A unix socket path for `reload`, `stop` and `status` (`ControlProtocol`).
        public var controlSocket: String?
        /// Permission bits of the control socket file.
        public var controlSocketMode: UInt32 = 0o600
        /// Whether the first process stays as a supervisor (`Supervision`): `App.serve()`
        /// consults it; with `Runtime` directly, see `shouldSupervise(_:)`. Off unless asked
        /// for: a supervisor runs `main` a second time, and only `serve()`'s caller can exit
        /// with its status.
        public var supervise: Supervision = .never
        /// Files whose settled change triggers a restart, as SIGHUP does.
        public var watch: [String] = []
        /// How often watched files are looked at.
        public var watchInterval: Duration = .milliseconds(250)
        /// How long a changed file must stay unchanged before it counts.
        public var watchSettle: Duration = .milliseconds(500)
        /// Code to run at the points of a generation's life.
        public var hooks = Hooks()
        /// What a generation hands to its successor besides the sockets; nil for nothing.
        public var handOverState: HandOverState?
        /// Told when this generation, as a successor, reaches a point of the hand-over: for
        /// the tests that kill a successor at every stage (debug builds of zerodt-serve).
        package var stageReached: (@Sendable (HandOverStage) -> Void)?

        /// The defaults.
        public init() {}
    }

    /// Code the runtime runs at fixed points of a generation's life, as in Go's zerodt.
    ///
    /// In a restart from generation N to N+1 the order is: N+1's `preServe` (its sockets are
    /// adopted but it does not accept yet; throwing rolls the restart back), N+1 reports
    /// ready, N's `preShutdown` once N has stopped accepting, N's drain and
    /// `completeShutdown`, then N+1's `preParentExit`. N+1 starts accepting as soon as N
    /// has stopped (stateless) or after N's `completeShutdown` (stateful).
    public struct Hooks: Sendable {
        /// Before this generation reports ready and starts accepting; its listeners are
        /// adopted. `inherited` is true when they came from a predecessor or from systemd.
        /// Throwing stops the generation; in a successor the predecessor keeps serving and
        /// logs the error.
        public var preServe: @Sendable (_ inherited: Bool) async throws -> Void = { _ in }
        /// When this generation starts shutting down, on a hand-over or a stop: it no longer
        /// accepts (a successor may already be serving) and is about to drain.
        public var preShutdown: @Sendable () async -> Void = {}
        /// After every server has drained and the successor (if any) is known to run, before
        /// the successor hears of it (in stateful mode: before it accepts). Close shared
        /// resources here: the generation exits next.
        public var completeShutdown: @Sendable () async -> Void = {}
        /// In a successor: the predecessor has drained and is about to exit (or has died).
        /// Rewrite anything that names the serving pid here.
        public var preParentExit: @Sendable () async -> Void = {}
        /// A restart failed and this generation serves on: the successor could not start, or
        /// died during the hand-over (then `resumed` ran first).
        public var restartFailed: @Sendable (_ failure: SuccessorFailure) -> Void = { _ in }
        /// SIGUSR1: reopen log files by their paths (logrotate has moved them), as nginx does.
        public var reopenLogs: @Sendable () -> Void = {}
        /// A stop (not a restart) was asked for while this generation accepts: it goes on
        /// accepting for each server's `shutdownDelay`, then drains. Mark health checks as
        /// failing here, so that load balancers stop sending before anything is refused.
        public var stopping: @Sendable () async -> Void = {}
        /// The successor died after `preShutdown` ran and before this generation exited: it
        /// accepts again, with every listener it held. Undo what `preShutdown` did here.
        public var resumed: @Sendable () async -> Void = {}

        /// No hooks.
        public init() {}
    }

    /// The points of a hand-over a successor reaches after its start-up.
    package enum HandOverStage: String, Sendable {
        /// It told its predecessor it is ready.
        case ready
        /// Its predecessor stopped accepting; the pid file names it (not yet said so).
        case tookOver = "took-over"
        /// It is about to accept: its turn has come.
        case accepting
    }

    /// How `serve` ended.
    public enum Ending: Sendable, Equatable {
        /// A successor took over; this generation drained (or a second stop signal cut its
        /// drain short).
        case handedOver(successorPID: Int32)
        /// Stopped by SIGTERM, SIGINT or `requestStop()` after draining.
        case stopped
        /// A second stop signal cut the drain short; connections still open were closed.
        /// The caller should exit non-zero.
        case interrupted
        /// This process was the supervisor (`Supervision`) and served nothing itself; the
        /// generations have all ended. The caller should exit with `exitStatus`.
        case supervised(exitStatus: Int32)
    }

    static let controlFDVariable = "ZERODT_CONTROL_FD"
    static let generationVariable = "ZERODT_GENERATION"
    /// The fd of the pid file's lock, held since generation 1 (`PIDFileLock`).
    static let pidFileLockFDVariable = "ZERODT_PID_LOCK_FD"
    static let privateVariables = [controlFDVariable, generationVariable, pidFileLockFDVariable, SupervisorLink.variable,
                                   StartupPriority.variable]

    /// 1 for a process started by hand or by systemd, one more for each restart.
    public let generation: Int
    /// The listening sockets: inherited ones waiting to be claimed, and the claimed ones.
    public let listeners: ListenerSet
    // Internal rather than private: `serve` hands them to `RestartDriver` and its environment.
    let predecessor: Predecessor?
    let signals: UnixSignalsSequence
    let executable: String
    let arguments: [String]
    let notifier: SystemdNotifier
    /// The channel to the supervisor, when one started this generation's chain.
    let supervisorLink: SupervisorLink?
    /// Started by a supervisor or a predecessor (which name the generation), never to
    /// supervise itself, even if its link to the supervisor is broken.
    let startedByZeroDT: Bool
    /// Whether `supervise` runs.
    private let supervising = NIOLockedValueBox(false)
    /// The pid file's lock, inherited from the predecessor or taken by `lockPIDFile(_:)`;
    /// kept open for the life of the process and handed to each successor.
    let pidFileLock: NIOLockedValueBox<PIDFileLock?>
    /// In a successor that started ahead of its predecessor, what to return to once ready,
    /// and the nice values libdispatch had given the threads raised with the main thread.
    let startupPriority: (priority: StartupPriority, own: [id_t: Int32])?
    /// Stops asked for by `requestStop()`: before `serve` runs they are remembered.
    let stopRequests = NIOLockedValueBox<(continuation: AsyncStream<RestartDriver.Input>.Continuation?, early: Bool)>((nil, false))

    /// The file a successor will run: this binary's path as it was started, not resolved.
    public var executablePath: String { executable }

    /// Whether this process was started by a predecessor to take over from it.
    public var isSuccessor: Bool { predecessor != nil }

    private init(generation: Int, listeners: ListenerSet, predecessor: Predecessor?, signals: UnixSignalsSequence,
                 executable: String, arguments: [String], notifier: SystemdNotifier, supervisorLink: SupervisorLink?,
                 startedByZeroDT: Bool, pidFileLock: PIDFileLock?,
                 startupPriority: (priority: StartupPriority, own: [id_t: Int32])?) {
        self.generation = generation
        self.listeners = listeners
        self.predecessor = predecessor
        self.signals = signals
        self.executable = executable
        self.arguments = arguments
        self.notifier = notifier
        self.supervisorLink = supervisorLink
        self.startedByZeroDT = startedByZeroDT
        self.pidFileLock = NIOLockedValueBox(pidFileLock)
        self.startupPriority = startupPriority
    }

    /// Installs the signal handlers, takes inherited sockets (and unsets the variables that
    /// named them) and, in a successor, connects to the predecessor.
    /// - Important: call once, early, before anything else reads `LISTEN_FDS`.
    public static func bootstrap() async -> Runtime {
        // A peer that resets mid-write would otherwise kill the process; a successor starts
        // with every disposition reset, so each generation sets this again.
        signal(SIGPIPE, SIG_IGN)
        let environment = ProcessInfo.processInfo.environment
        let controlFD = environment[controlFDVariable].flatMap(Int32.init)
            .flatMap { Posix.isUnixSocket($0, type: Int32(SOCK_STREAM.rawValue)) ? $0 : nil }
        // First: what follows runs on libdispatch's threads, and should run raised too.
        let startupPriority = (controlFD == nil ? nil : StartupPriority(environment: environment, mainThread: getpid()))
            .map { ($0, $0.raiseOthers()) }
        // Both wait on other threads most of the time (the event loops' start and the parent's
        // hello; each signal's registration with Dispatch): side by side, a successor is ready
        // sooner. Nothing is reported to anyone before both are done.
        async let connected = connectPredecessor(fd: controlFD)
        let signals = await UnixSignalsSequence(trapping: .sighup, .sigusr2, .sigterm, .sigint, .sigquit, .sigusr1)
        let generation = environment[generationVariable].flatMap(Int.init) ?? 1
        let inherited = SocketActivation.sockets(environment: environment, pid: getpid())
        // Only from a predecessor: a stray variable must not make us adopt (and later close)
        // an fd such as stdin.
        let pidFileLock = controlFD == nil ? nil
            : environment[pidFileLockFDVariable].flatMap(Int32.init).map(PIDFileLock.init(inheritedFD:))
        let supervisorLink = SupervisorLink(environment: environment)
        // The handlers are in place: from now on the supervisor may pass signals on.
        try? supervisorLink?.reportStarted(pid: getpid(), generation: generation)
        for name in ownVariables { unsetenv(name) }
        let predecessor = await connected
        // A supervisor says which sockets are systemd's, as a predecessor does.
        let listeners = ListenerSet(inherited: inherited,
                                    fromPredecessor: controlFD != nil || environment[SocketActivation.systemdVariable] != nil)
        return Runtime(generation: generation, listeners: listeners, predecessor: predecessor,
                       signals: signals, executable: Executable.current(), arguments: CommandLine.arguments,
                       notifier: SystemdNotifier(environment: environment), supervisorLink: supervisorLink,
                       startedByZeroDT: environment[generationVariable] != nil, pidFileLock: pidFileLock,
                       startupPriority: startupPriority)
    }

    /// The environment variables `bootstrap()` takes out of the environment: the inherited
    /// sockets' and the ones a predecessor or supervisor sets for its successor.
    public static let ownVariables = SocketActivation.variables + privateVariables

    /// The parent's end of the control channel at `fd` (marked close-on-exec: it is this
    /// generation's alone), connected; nil without one.
    private static func connectPredecessor(fd: Int32?) async -> Predecessor? {
        guard let fd else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return await Predecessor.connect(fd: fd)
    }

    /// Whether this process should become the supervisor of its generations rather than
    /// serve: never in a generation that a supervisor or a predecessor started.
    public func shouldSupervise(_ mode: Supervision) -> Bool {
        guard !startedByZeroDT else { return false }
        return mode.isOn(pid: getpid(), stdinIsTerminal: isatty(STDIN_FILENO) == 1,
                         underSystemd: notifier.socketPath != nil)
    }

    /// Runs this process as the supervisor (`Supervision`) until the service has stopped:
    /// it binds and serves nothing, and starts generation 1 with systemd's sockets, if any.
    /// - Returns: the status this process should exit with: the last generation's.
    /// - Parameter reopenLogs: the supervisor's own part of SIGUSR1, which it also passes on.
    public func supervise(logger: Logger, reopenLogs: @escaping @Sendable () -> Void = {}) async -> Int32 {
        logger.info("supervising: generations start from \(executable)")
        supervising.withLockedValue { $0 = true }
        var supervisor = Supervisor(executable: executable, arguments: arguments,
                                    environment: ProcessInfo.processInfo.environment,
                                    inherited: listeners.unclaimed.map(\.socket), notifier: notifier,
                                    reopenLogs: reopenLogs, logger: logger)
        return await supervisor.run(signals: signals)
    }

    /// Asks for a graceful stop, as SIGTERM does; unlike a second SIGTERM, asking again (or
    /// after a signal already started the stop) does not cut the drain short. In the
    /// supervisor it is a SIGTERM to itself, which it passes on as any other.
    public func requestStop() {
        if supervising.withLockedValue({ $0 }) {
            _ = kill(getpid(), SIGTERM)
            return
        }
        let continuation = stopRequests.withLockedValue { state in
            if state.continuation == nil { state.early = true }
            return state.continuation
        }
        continuation?.yield(.event(.stopRequested(bySignal: false)))
    }

    /// Makes sure this process holds the lock of `pidFile` (`PIDFileLock`): keeps the one
    /// inherited from the predecessor when it is that file's, takes it otherwise. `serve`
    /// calls it; call it earlier to refuse to start before binding anything.
    /// - Parameter pidFile: the pid file; nil drops an inherited lock (the config no longer
    ///   has one), so that it is not handed on.
    /// - Throws: `PIDFileLock.Failure` when another process holds it (the message names its
    ///   pid) or the lock file cannot be opened.
    package func lockPIDFile(_ pidFile: String?) throws(PIDFileLock.Failure) {
        let outcome = pidFileLock.withLockedValue { held -> Result<Void, PIDFileLock.Failure> in
            if let current = held, let pidFile, current.isLockFile(of: pidFile) { return .success(()) }
            // Closing our handle of another file's lock releases nothing while the
            // predecessor, which may yet take the service back, holds its own.
            held?.close()
            held = nil
            guard let pidFile else { return .success(()) }
            do throws(PIDFileLock.Failure) {
                held = try PIDFileLock.acquire(pidFile: pidFile)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try outcome.get()
    }

    /// Tells the predecessor or, in a generation a supervisor started, the supervisor that
    /// this generation cannot start, and why. The caller then exits non-zero.
    public func fail(_ failure: SuccessorFailure) async {
        if let predecessor {
            await predecessor.reportFailed(failure)
        } else {
            try? supervisorLink?.reportFailed(pid: getpid(), generation: generation, reason: failure.detail)
        }
    }

    /// Whether `fail(_:)` reaches a predecessor or a supervisor, which logs the failure: the
    /// caller need not print it too (on the stderr they share, in their log format).
    public var failuresAreReported: Bool { predecessor != nil || supervisorLink != nil }

    /// Starts the servers, reports ready, then handles signals until this generation has
    /// handed over to a successor or been stopped, and drained.
    /// - Throws: when a server cannot start; nothing has been reported ready then.
    public func serve(_ servers: [any RestartableServer], options: Options, logger: Logger) async throws -> Ending {
        try lockPIDFile(options.pidFile)
        let pidFile = options.pidFile.map(PIDFile.init(path:))
        // Record the watched files' state now, before anything is announced, so that an
        // edit made right after start is not taken for the baseline.
        let watcher = options.watch.isEmpty ? nil
            : FileWatcher(paths: options.watch, interval: options.watchInterval, settle: options.watchSettle)
        let control = try options.controlSocket.map { path in
            do throws(SystemError) {
                return try listeners.claim(.unix(path: path), name: ControlProtocol.listenerName, backlog: 16,
                                           mode: options.controlSocketMode)
            } catch {
                throw ControlSocketError(path: path, error: error)
            }
        }
        // systemd's socket files belong to its socket units: never removed here.
        let unixPaths = listeners.claimed.filter { !$0.fromSystemd }.compactMap(\.address.unixPath)
        let adopted = listeners.claimed.filter(\.inherited).map { Int($0.fd - SocketActivation.firstFD) }
        // All at once: each start waits on event loops, and a config may have hundreds of
        // servers between a SIGHUP and the successor's ready. The first starts in this task:
        // a lone server (the usual case) then wakes no other thread, which on a busy machine
        // costs more than its start.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for server in servers.dropFirst() { group.addTask { try await server.start() } }
            try await servers.first?.start()
            try await group.waitForAll()
        }
        // Before ready, so that a failing hook rolls the restart back (the caller reports
        // the error to the predecessor, which keeps serving).
        do {
            try await options.hooks.preServe(listeners.claimed.contains(where: \.inherited))
        } catch {
            logger.error("preServe hook failed, not serving: \(error)")
            throw error
        }
        let environment = SystemEnvironment(executable: executable, arguments: arguments, listeners: listeners,
                                            pidFile: pidFile, pidFileLock: pidFileLock.withLockedValue { $0?.fd },
                                            notifier: notifier, supervisor: supervisorLink, generation: generation)
        let parts = RestartDriver.Parts(
            environment: environment, servers: servers, hooks: options.hooks, predecessor: predecessor,
            adopted: adopted, unixPaths: unixPaths, listeners: listeners, control: control,
            stageReached: { [startupPriority, stageReached = options.stageReached] stage in
                // Ready: from here on the predecessor hands over, and this generation runs
                // ahead of nothing.
                if stage == .ready, let startupPriority { startupPriority.priority.restore(startupPriority.own) }
                stageReached?(stage)
            },
            logger: logger, handOverState: options.handOverState)
        var driver = RestartDriver(parts: parts, configuration: RestartStateMachine.Configuration(
            generation: generation, pid: getpid(), stateful: options.waitParent > .zero,
            predecessorPID: predecessor?.pid, waitChild: options.waitChild,
            turnTimeout: options.waitParent > .zero ? options.waitParent : Self.handOverTimeout,
            predecessorKnowsStopping: predecessor?.knowsStopping ?? false, executable: executable))
        let (inputs, continuation) = AsyncStream.makeStream(of: RestartDriver.Input.self)
        let stopEarly = stopRequests.withLockedValue { state in
            state.continuation = continuation
            return state.early
        }
        if stopEarly { continuation.yield(.event(.stopRequested(bySignal: false))) }
        let ending = await driver.run(inputs: inputs, continuation: continuation) { [signals] group in
            group.addTask {
                for await signal in signals {
                    switch signal {
                    case .sighup, .sigusr2: continuation.yield(.event(.restartRequested(.signal)))
                    case .sigusr1: options.hooks.reopenLogs()
                    case .sigquit:
                        // Stop now: a stop whose drain a second signal cuts short at once.
                        continuation.yield(.event(.stopRequested(bySignal: true)))
                        continuation.yield(.event(.stopRequested(bySignal: true)))
                    default: continuation.yield(.event(.stopRequested(bySignal: true)))
                    }
                }
            }
            if let watcher {
                group.addTask {
                    await watcher.run { continuation.yield(.event(.restartRequested(.fileChanged($0)))) }
                }
            }
        }
        switch ending {
        case .handedOver(let pid, let successorPaths, _):
            for path in unixPaths where !successorPaths.contains(path) { SocketFile.removeIfSocket(atPath: path) }
            return .handedOver(successorPID: pid)
        case .stoppedBeforeTurn:
            // The sockets are the predecessor's; the pid file may already name this process.
            pidFile?.remove()
            return .stopped
        case .stopped, .interrupted:
            unixPaths.forEach { SocketFile.removeIfSocket(atPath: $0) }
            pidFile?.remove()
            return ending == .stopped ? .stopped : .interrupted
        }
    }

    /// The control socket cannot be had: named, since the bind error alone does not say which.
    struct ControlSocketError: Error, CustomStringConvertible {
        var path: String
        var error: SystemError

        var description: String {
            let hint = error.errno == EADDRINUSE ? " (another zerodt-serve is using it; 'status' reaches it)" : ""
            return "cannot listen on the control socket \(path): \(error)\(hint)"
        }
    }

    /// How long a stateless successor waits for its predecessor to stop accepting: that
    /// takes milliseconds, unless the predecessor is wedged.
    static let handOverTimeout: Duration = .seconds(10)
}
