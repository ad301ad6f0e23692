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
    /// In a stateless restart, once the predecessor has stopped accepting, the successor's
    /// `preServe` runs concurrently with the predecessor's `preShutdown`, drain and
    /// `completeShutdown`; then the successor's `preParentExit`. In a stateful
    /// restart the successor waits for the drain: `preShutdown`, `completeShutdown`, then
    /// the successor's `preParentExit` and `preServe`.
    public struct Hooks: Sendable {
        /// Just before this generation starts accepting. `inherited` is true when its
        /// listening sockets came from a predecessor or from systemd. Throwing stops the
        /// generation before it accepts anything.
        /// - Important: in a successor this runs after the hand-over is decided; validate
        ///   whatever can fail before calling `serve`.
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
    private let predecessor: Predecessor?
    private let signals: UnixSignalsSequence
    private let executable: String
    private let arguments: [String]
    private let notifier: SystemdNotifier
    /// Stops asked for by `requestStop()`: before `serve` runs they are remembered.
    private let stopRequests = NIOLockedValueBox<(continuation: AsyncStream<EventLoop.Event>.Continuation?, early: Bool)>((nil, false))

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
        if let predecessor {
            await predecessor.reportReady(generation: generation, adopted: adopted, unixPaths: unixPaths)
            await waitForTurn(after: predecessor, options: options, logger: logger)
        }
        do {
            try await options.hooks.preServe(listeners.claimed.contains(where: \.inherited))
        } catch {
            logger.critical("preServe hook failed, not serving: \(error)")
            throw error
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
        var loop = EventLoop(runtime: self, servers: servers, options: options, pidFile: pidFile, watcher: watcher,
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

    fileprivate func status(_ text: String) -> String {
        "STATUS=\(text) (generation \(generation), pid \(getpid()))"
    }

    /// The signal-and-outcome loop, driving `RestartStateMachine`.
    private struct EventLoop {
        enum Event: Sendable {
            case signal(UnixSignal)
            case command(ControlProtocol.Request, reply: @Sendable (ControlProtocol.Reply) -> Void)
            case fileChanged(String)
            case outcome(Successor?, Successor.Outcome)
            case drained
            case predecessorFinished
            case stopRequested
        }

        enum InternalEnding {
            case handedOver(pid: Int32, unixPaths: [String])
            case stopped

            var `public`: Ending {
                switch self {
                case .handedOver(let pid, _): return .handedOver(successorPID: pid)
                case .stopped: return .stopped
                }
            }
        }

        let runtime: Runtime
        let servers: [any RestartableServer]
        let options: Options
        let pidFile: PIDFile?
        let watcher: FileWatcher?
        let logger: Logger
        var machine = RestartStateMachine()
        var ending: InternalEnding?
        /// While the predecessor drains, restarts wait for it, so that at most one old
        /// generation is ever draining.
        var predecessorDraining = false
        var deferredRestart = false
        var signalStops = 0
        /// `reload` commands waiting for the outcome of the restart under way.
        var reloadWaiters: [@Sendable (ControlProtocol.Reply) -> Void] = []
        var lastReload: ControlProtocol.ReloadResult?
        var controlServer: ControlServer?
        let startedAt = Date()
        /// The successor being started, so a stop request can kill it.
        let starting = NIOLockedValueBox<Successor?>(nil)

        init(runtime: Runtime, servers: [any RestartableServer], options: Options, pidFile: PIDFile?,
             watcher: FileWatcher?, logger: Logger) {
            self.runtime = runtime
            self.servers = servers
            self.options = options
            self.pidFile = pidFile
            self.watcher = watcher
            self.logger = logger
        }

        mutating func run(control: Listener?) async -> InternalEnding {
            let (events, continuation) = AsyncStream.makeStream(of: Event.self)
            let stopEarly = runtime.stopRequests.withLockedValue { state in
                state.continuation = continuation
                return state.early
            }
            if stopEarly { continuation.yield(.stopRequested) }
            if let control {
                do {
                    controlServer = try await ControlServer.start(listener: control) { request, reply in
                        continuation.yield(.command(request, reply: reply))
                    }
                } catch {
                    logger.error("cannot serve the control socket \(control.address): \(error)")
                }
            }
            return await withTaskGroup(of: Void.self) { group in
                group.addTask { [signals = runtime.signals] in
                    for await signal in signals { continuation.yield(.signal(signal)) }
                }
                if let watcher {
                    group.addTask { await watcher.run { continuation.yield(.fileChanged($0)) } }
                }
                if let predecessor = runtime.predecessor, options.waitParent == .zero {
                    predecessorDraining = true
                    group.addTask { [logger, generation = runtime.generation, hooks = options.hooks] in
                        _ = await predecessor.wait(for: .shutdownComplete, timeout: nil)
                        await hooks.preParentExit()
                        logger.info("generation \(generation - 1) (pid \(predecessor.pid)) has finished")
                        continuation.yield(.predecessorFinished)
                    }
                }
                for await event in events {
                    handle(event, group: &group, continuation: continuation)
                    if case .drained = event { break }
                }
                group.cancelAll()
                return ending ?? .stopped
            }
        }

        private mutating func handle(_ event: Event, group: inout TaskGroup<Void>,
                                     continuation: AsyncStream<Event>.Continuation) {
            switch event {
            case .signal(.sighup), .signal(.sigusr2):
                requestRestart(group: &group, continuation: continuation)
            case .fileChanged(let path):
                logger.info("\(path) changed")
                requestRestart(group: &group, continuation: continuation)
            case .command(let request, let reply):
                handle(request, reply: reply, group: &group, continuation: continuation)
            case .signal:
                signalStops += 1
                var action = machine.stopRequested()
                // Only a second stop *signal* cuts the drain short; a first one after a
                // programmatic stop (a ServiceGroup trapping the same SIGTERM) does not.
                if action == .exitNow && signalStops < 2 { action = .none }
                if action == .none { logger.info("stop requested: finishing the drain already under way") }
                perform(action, group: &group, continuation: continuation)
            case .stopRequested:
                switch machine.state {
                case .serving, .restarting: perform(machine.stopRequested(), group: &group, continuation: continuation)
                case .handingOver, .stopping: break
                }
            case .predecessorFinished:
                predecessorDraining = false
                if deferredRestart {
                    deferredRestart = false
                    perform(machine.restartRequested(), group: &group, continuation: continuation)
                }
            case .outcome(let successor, .ready):
                guard let successor else { return }
                let action = machine.successorReady()
                if action == .none {
                    // Ready after a stop was requested: it must not outlive us unasked.
                    group.addTask { _ = await successor.stop(reason: "stop requested") }
                    return
                }
                logger.info("generation \(successor.generation) (pid \(successor.pid)) is ready; handing over and draining")
                try? pidFile.map { try PIDFile(path: $0.path).write(pid: successor.pid) }
                runtime.notifier.notify(["MAINPID=\(successor.pid)", "READY=1",
                                         "STATUS=serving (generation \(successor.generation), pid \(successor.pid))"])
                if case .outcome(_, .ready(_, let unixPaths)) = event {
                    ending = .handedOver(pid: successor.pid, unixPaths: unixPaths)
                }
                let message = "generation \(successor.generation) (pid \(successor.pid)) took over"
                recordReload(ok: true, message: message, pid: successor.pid, generation: successor.generation)
                perform(action, group: &group, continuation: continuation, successor: successor)
            case .outcome(_, .failed(let reason)):
                starting.withLockedValue { $0 = nil }
                let action = machine.successorFailed()
                guard action != .none else { return }
                logger.error("restart failed, still serving as generation \(runtime.generation): \(reason)")
                recordReload(ok: false, message: reason, pid: getpid(), generation: runtime.generation)
                options.hooks.restartFailed(reason)
                try? pidFile?.write()
                runtime.notifier.notify(["READY=1", runtime.status("reload failed: \(ControlProtocol.summary(of: reason))")])
                perform(action, group: &group, continuation: continuation)
            case .drained:
                break
            }
        }

        private mutating func perform(_ action: RestartStateMachine.Action, group: inout TaskGroup<Void>,
                                      continuation: AsyncStream<Event>.Continuation, successor: Successor? = nil) {
            switch action {
            case .none:
                break
            case .startSuccessor, .keepServing(retry: true):
                startSuccessor(group: &group, continuation: continuation)
            case .keepServing(retry: false):
                break
            case .coalesced:
                logger.info("restart already in progress; another one will follow it")
            case .ignoredWhileDraining:
                logger.info("ignoring restart request: this generation is draining")
            case .handOver(let forwardRestart):
                stopControlServer(group: &group)
                if forwardRestart, let successor {
                    logger.info("passing the restart requested meanwhile on to pid \(successor.pid)")
                    successor.forwardRestart()
                }
                drain(group: &group, continuation: continuation, before: { await successor?.sendAcceptingStopped() }) {
                    await successor?.sendShutdownComplete()
                }
            case .abortRestartAndStop:
                let successor = starting.withLockedValue { $0 }
                group.addTask { [logger] in
                    if let successor {
                        logger.info("stop requested: killing generation \(successor.generation) (pid \(successor.pid))")
                        _ = await successor.stop(reason: "stop requested")
                    }
                }
                stop(group: &group, continuation: continuation)
            case .stop:
                stop(group: &group, continuation: continuation)
            case .exitNow:
                logger.warning("second stop signal: exiting without finishing the drain")
                exit(1)
            }
        }

        private mutating func stop(group: inout TaskGroup<Void>, continuation: AsyncStream<Event>.Continuation) {
            ending = .stopped
            stopControlServer(group: &group)
            for waiter in reloadWaiters {
                waiter(ControlProtocol.Reply(ok: false, message: "stop requested; the restart was abandoned"))
            }
            reloadWaiters.removeAll()
            runtime.notifier.notify(["STOPPING=1", runtime.status("stopping")])
            logger.info("stopping: draining connections")
            drain(group: &group, continuation: continuation, before: {}) {}
        }

        /// A restart, unless the predecessor is still draining: then it waits for that.
        private mutating func requestRestart(group: inout TaskGroup<Void>, continuation: AsyncStream<Event>.Continuation) {
            guard predecessorDraining, machine.state == .serving else {
                perform(machine.restartRequested(), group: &group, continuation: continuation)
                return
            }
            if !deferredRestart {
                logger.info("restart requested while generation \(runtime.generation - 1) still drains; it starts when that one has finished")
            }
            deferredRestart = true
        }

        /// Answers a control socket request. `reload` waits for the outcome of the restart it
        /// starts (or joins); `stop` is answered at once, its connection closing at exit.
        private mutating func handle(_ request: ControlProtocol.Request,
                                     reply: @escaping @Sendable (ControlProtocol.Reply) -> Void,
                                     group: inout TaskGroup<Void>, continuation: AsyncStream<Event>.Continuation) {
            switch request.command {
            case .reload:
                if case .handingOver = machine.state {
                    reply(ControlProtocol.Reply(ok: false, message: "this generation is draining; retry to reach its successor"))
                    return
                }
                reloadWaiters.append(reply)
                requestRestart(group: &group, continuation: continuation)
            case .stop:
                reply(ControlProtocol.Reply(ok: true, message: "stopping: draining connections",
                                            pid: getpid(), generation: runtime.generation))
                perform(machine.stopRequested(), group: &group, continuation: continuation)
            case .status:
                reply(ControlProtocol.Reply(ok: true, message: stateDescription, pid: getpid(),
                                            generation: runtime.generation, status: status()))
            }
        }

        private var stateDescription: String {
            switch machine.state {
            case .serving: return "serving"
            case .restarting: return "restarting"
            case .handingOver: return "handing over"
            case .stopping: return "stopping"
            }
        }

        private func status() -> ControlProtocol.Status {
            ControlProtocol.Status(
                pid: getpid(), generation: runtime.generation, startedAt: startedAt.timeIntervalSince1970,
                uptimeSeconds: Date().timeIntervalSince(startedAt), state: stateDescription,
                listeners: runtime.listeners.claimed.map { listener in
                    listener.name.map { "\(listener.address) (\($0))" } ?? "\(listener.address)"
                },
                lastReload: lastReload)
        }

        private mutating func recordReload(ok: Bool, message: String, pid: Int32, generation: Int) {
            lastReload = ControlProtocol.ReloadResult(at: Date().timeIntervalSince1970, ok: ok, message: message)
            let reply = ControlProtocol.Reply(ok: ok, message: message, pid: pid, generation: generation)
            reloadWaiters.forEach { $0(reply) }
            reloadWaiters.removeAll()
        }

        /// The successor (or nobody, when stopping) answers the control socket from now on.
        private mutating func stopControlServer(group: inout TaskGroup<Void>) {
            guard let server = controlServer else { return }
            controlServer = nil
            group.addTask { await server.stop() }
        }

        /// Stops every server accepting, runs `stopped`, drains them all, runs `finish`.
        private func drain(group: inout TaskGroup<Void>, continuation: AsyncStream<Event>.Continuation,
                           before stopped: @escaping @Sendable () async -> Void,
                           then finish: @escaping @Sendable () async -> Void) {
            group.addTask { [servers, hooks = options.hooks] in
                // Stop accepting first, so a successor is never kept waiting on a slow hook.
                for server in servers { await server.stopAccepting() }
                await stopped()
                await hooks.preShutdown()
                await withTaskGroup(of: Void.self) { drains in
                    for server in servers { drains.addTask { await server.drain() } }
                }
                await hooks.completeShutdown()
                await finish()
                continuation.yield(.drained)
            }
        }

        private func startSuccessor(group: inout TaskGroup<Void>, continuation: AsyncStream<Event>.Continuation) {
            let generation = runtime.generation + 1
            logger.info("restart requested: starting generation \(generation) from \(runtime.executable)")
            runtime.notifier.notify(["RELOADING=1", SystemdNotifier.monotonicMicroseconds(), runtime.status("reloading")])
            group.addTask { [runtime, options, starting] in
                let successor: Successor
                do {
                    successor = try await Successor.launch(
                        executable: runtime.executable, arguments: runtime.arguments,
                        environment: ProcessInfo.processInfo.environment,
                        listeners: runtime.listeners.claimed, generation: generation)
                } catch {
                    continuation.yield(.outcome(nil, .failed("cannot start \(runtime.executable): \(error)")))
                    return
                }
                starting.withLockedValue { $0 = successor }
                let outcome = await successor.awaitOutcome(timeout: options.waitChild)
                continuation.yield(.outcome(successor, outcome))
            }
        }
    }
}
