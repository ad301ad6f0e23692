import Foundation
import Logging
import NIOConcurrencyHelpers
import UnixSignals

/// The signal-and-outcome loop of one generation, driving `RestartStateMachine`:
/// signals, control requests, watched files and successor outcomes in; restarts, hand-overs
/// and drains out.
struct RuntimeEventLoop {
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

        var `public`: Runtime.Ending {
            switch self {
            case .handedOver(let pid, _): return .handedOver(successorPID: pid)
            case .stopped: return .stopped
            }
        }
    }

    let runtime: Runtime
    let servers: [any RestartableServer]
    let options: Runtime.Options
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
    let starting = NIOLockedValueBox<StartingSuccessor>(.none)

    /// The successor of the restart under way, as far as the stop logic needs to know it.
    enum StartingSuccessor {
        case none
        /// Spawned (or being spawned), not yet handed back by `Successor.launch`.
        case launching
        case running(Successor)
        /// A stop came while launching: kill the successor as soon as it exists.
        case abortWhenLaunched
    }

    init(runtime: Runtime, servers: [any RestartableServer], options: Runtime.Options, pidFile: PIDFile?,
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
            if case .outcome(_, .ready(let adopted, _)) = event {
                let passed = runtime.listeners.claimed.count
                logger.info("generation \(successor.generation) (pid \(successor.pid)) is ready; handing over and draining",
                            metadata: ["sockets_taken": "\(adopted.count)/\(passed)"])
            }
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
            starting.withLockedValue { $0 = .none }
            let action = machine.successorFailed()
            guard action != .none else { return }
            logger.error("restart failed, still serving as generation \(runtime.generation): \(reason)")
            // With a retry coming (a request arrived meanwhile), waiters get the retry's outcome.
            recordReload(ok: false, message: reason, pid: getpid(), generation: runtime.generation,
                         answerWaiters: action != .keepServing(retry: true))
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
            let successor: Successor? = starting.withLockedValue { state in
                switch state {
                case .running(let successor): return successor
                case .launching, .abortWhenLaunched:
                    state = .abortWhenLaunched
                    return nil
                case .none: return nil
                }
            }
            logger.info("stop requested: killing generation \(runtime.generation + 1)")
            if let successor {
                group.addTask { _ = await successor.stop(reason: "stop requested") }
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

    private mutating func recordReload(ok: Bool, message: String, pid: Int32, generation: Int,
                                       answerWaiters: Bool = true) {
        lastReload = ControlProtocol.ReloadResult(at: Date().timeIntervalSince1970, ok: ok, message: message)
        guard answerWaiters else { return }
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
        starting.withLockedValue { $0 = .launching }
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
            let aborted = starting.withLockedValue { state in
                defer { state = .running(successor) }
                if case .abortWhenLaunched = state { return true }
                return false
            }
            if aborted {
                continuation.yield(.outcome(successor, .failed(await successor.stop(reason: "stop requested"))))
                return
            }
            let outcome = await successor.awaitOutcome(timeout: options.waitChild)
            continuation.yield(.outcome(successor, outcome))
        }
    }
}
