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
        /// Files whose settled change triggers a restart, as SIGHUP does.
        public var watch: [String] = []
        /// How often watched files are looked at.
        public var watchInterval: Duration = .milliseconds(250)
        /// How long a changed file must stay unchanged before it counts.
        public var watchSettle: Duration = .milliseconds(500)
        /// Code to run at the points of a generation's life.
        public var hooks = Hooks()

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
        /// After every server has drained, before the successor hears of it (in stateful
        /// mode: before the successor accepts). Close shared resources here.
        public var completeShutdown: @Sendable () async -> Void = {}
        /// In a successor: the predecessor has drained and is about to exit (or has died).
        /// Rewrite anything that names the serving pid here.
        public var preParentExit: @Sendable () async -> Void = {}
        /// A restart failed and this generation serves on; the argument is the reason.
        public var restartFailed: @Sendable (_ reason: String) -> Void = { _ in }

        /// No hooks.
        public init() {}
    }

    /// How `serve` ended.
    public enum Ending: Sendable, Equatable {
        /// A successor took over; this generation drained.
        case handedOver(successorPID: Int32)
        /// Stopped by SIGTERM or SIGINT after draining.
        case stopped
    }

    static let controlFDVariable = "ZERODT_CONTROL_FD"
    static let generationVariable = "ZERODT_GENERATION"
    static let privateVariables = [controlFDVariable, generationVariable]

    /// 1 for a process started by hand or by systemd, one more for each restart.
    public let generation: Int
    /// The listening sockets: inherited ones waiting to be claimed, and the claimed ones.
    public let listeners: ListenerSet
    // Internal rather than private: `RuntimeEventLoop` (its own file) works on them.
    let predecessor: Predecessor?
    let signals: UnixSignalsSequence
    let executable: String
    let arguments: [String]
    let notifier: SystemdNotifier
    /// Stops asked for by `requestStop()`: before `serve` runs they are remembered.
    let stopRequests = NIOLockedValueBox<(continuation: AsyncStream<RuntimeEventLoop.Event>.Continuation?, early: Bool)>((nil, false))

    /// The file a successor will run: this binary's path as it was started, not resolved.
    public var executablePath: String { executable }

    /// Whether this process was started by a predecessor to take over from it.
    public var isSuccessor: Bool { predecessor != nil }

    private init(generation: Int, listeners: ListenerSet, predecessor: Predecessor?, signals: UnixSignalsSequence,
                 executable: String, arguments: [String], notifier: SystemdNotifier) {
        self.generation = generation
        self.listeners = listeners
        self.predecessor = predecessor
        self.signals = signals
        self.executable = executable
        self.arguments = arguments
        self.notifier = notifier
    }

    /// Installs the signal handlers, takes inherited sockets (and unsets the variables that
    /// named them) and, in a successor, connects to the predecessor.
    /// - Important: call once, early, before anything else reads `LISTEN_FDS`.
    public static func bootstrap() async -> Runtime {
        // A peer that resets mid-write would otherwise kill the process; a successor starts
        // with every disposition reset, so each generation sets this again.
        signal(SIGPIPE, SIG_IGN)
        let signals = await UnixSignalsSequence(trapping: .sighup, .sigusr2, .sigterm, .sigint)
        let environment = ProcessInfo.processInfo.environment
        let generation = environment[generationVariable].flatMap(Int.init) ?? 1
        let inherited = SocketActivation.sockets(environment: environment, pid: getpid())
        let controlFD = environment[controlFDVariable].flatMap(Int32.init)
        for name in SocketActivation.variables + privateVariables { unsetenv(name) }
        var predecessor: Predecessor?
        if let controlFD {
            _ = fcntl(controlFD, F_SETFD, FD_CLOEXEC)
            predecessor = await Predecessor.connect(fd: controlFD)
        }
        let listeners = ListenerSet(inherited: inherited, fromPredecessor: controlFD != nil)
        return Runtime(generation: generation, listeners: listeners, predecessor: predecessor,
                       signals: signals, executable: Executable.current(), arguments: CommandLine.arguments,
                       notifier: SystemdNotifier(environment: environment))
    }

    /// Asks for a graceful stop, as SIGTERM does; unlike a second SIGTERM, asking again (or
    /// after a signal already started the stop) does not cut the drain short.
    public func requestStop() {
        let continuation = stopRequests.withLockedValue { state in
            if state.continuation == nil { state.early = true }
            return state.continuation
        }
        continuation?.yield(.stopRequested)
    }

    /// Tells the predecessor (if any) that this successor cannot take over, with `reason`
    /// (for a bad config, the rendered diagnostics). The caller then exits non-zero.
    public func fail(_ reason: String) async {
        await predecessor?.reportFailed(reason)
    }

    /// Starts the servers, reports ready, then handles signals until this generation has
    /// handed over to a successor or been stopped, and drained.
    /// - Throws: when a server cannot start; nothing has been reported ready then.
    public func serve(_ servers: [any RestartableServer], options: Options, logger: Logger) async throws -> Ending {
        let pidFile = options.pidFile.map(PIDFile.init(path:))
        // Record the watched files' state now, before anything is announced, so that an
        // edit made right after start is not taken for the baseline.
        let watcher = options.watch.isEmpty ? nil
            : FileWatcher(paths: options.watch, interval: options.watchInterval, settle: options.watchSettle)
        let control = try options.controlSocket.map { path in
            try listeners.claim(.unix(path: path), name: ControlProtocol.listenerName, backlog: 16,
                                mode: options.controlSocketMode)
        }
        // systemd's socket files belong to its socket units: never removed here.
        let unixPaths = listeners.claimed.filter { !$0.fromSystemd }.compactMap(\.address.unixPath)
        let adopted = listeners.claimed.filter(\.inherited).map { Int($0.fd - SocketActivation.firstFD) }
        // A successor's pid goes into the file when its predecessor hands over to it, so the
        // file never names a generation that might still fail.
        if predecessor == nil { try pidFile?.write() }
        for server in servers { try await server.start() }
        // Before ready, so that a failing hook rolls the restart back (the caller reports
        // the error to the predecessor, which keeps serving).
        do {
            try await options.hooks.preServe(listeners.claimed.contains(where: \.inherited))
        } catch {
            logger.error("preServe hook failed, not serving: \(error)")
            throw error
        }
        if let predecessor {
            await predecessor.reportReady(generation: generation, adopted: adopted, unixPaths: unixPaths)
            await waitForTurn(after: predecessor, options: options, logger: logger)
        }
        for server in servers { server.startAccepting() }
        if predecessor == nil { notifier.notify(["READY=1", status("serving")]) }
        let tookOver = predecessor.map { predecessor in
            ControlProtocol.ReloadResult(at: Date().timeIntervalSince1970, ok: true,
                                         message: "took over from generation \(generation - 1) (pid \(predecessor.pid))")
        }
        let dropped = listeners.closeUnclaimed()
        if !dropped.isEmpty {
            logger.info("closed inherited sockets the config no longer uses: \(dropped.map { "\($0)" }.joined(separator: ", "))")
        }
        logger.info("ready", metadata: ["executable": "\(executable)"])
        var loop = RuntimeEventLoop(runtime: self, servers: servers, options: options, pidFile: pidFile, watcher: watcher,
                             logger: logger)
        loop.lastReload = tookOver
        let ending = await loop.run(control: control)
        switch ending {
        case .handedOver(_, let successorPaths):
            for path in unixPaths where !successorPaths.contains(path) { unlink(path) }
        case .stopped:
            unixPaths.forEach { unlink($0) }
            pidFile?.remove()
        }
        return ending.public
    }

    /// A successor accepts only once its predecessor has stopped accepting (stateless) or
    /// drained (stateful), so that two processes never accept on one socket at the same time.
    private func waitForTurn(after predecessor: Predecessor, options: Options, logger: Logger) async {
        let parent = "generation \(generation - 1) (pid \(predecessor.pid))"
        if options.waitParent > .zero {
            logger.info("ready; waiting up to \(options.waitParent.formatted) for \(parent) to drain")
            if await !predecessor.wait(for: .shutdownComplete, timeout: options.waitParent) {
                logger.warning("\(parent) did not drain in time; killing it")
                kill(predecessor.pid, SIGKILL)
            }
            await options.hooks.preParentExit()
        } else if await !predecessor.wait(for: .acceptingStopped, timeout: Self.handOverTimeout) {
            logger.warning("\(parent) did not stop accepting within \(Self.handOverTimeout.formatted); accepting anyway")
        }
    }

    /// How long a stateless successor waits for its predecessor to stop accepting: that
    /// takes milliseconds, unless the predecessor is wedged.
    static let handOverTimeout: Duration = .seconds(10)

    func status(_ text: String) -> String {
        "STATUS=\(text) (generation \(generation), pid \(getpid()))"
    }
}
