import Foundation
import Logging
import NIOCore
import UnixSignals

/// Runs one generation's `RestartStateMachine`: turns signals, control requests, watched
/// files, the successor's and predecessor's news, timers and drains into events, and
/// carries out the actions the machine returns. It decides nothing itself.
struct RestartDriver {
    /// What reaches the driver's loop.
    enum Input: Sendable {
        case event(RestartStateMachine.Event)
        case command(ControlProtocol.Request, reply: ControlServer.Reply)
        /// A successor was spawned; the driver keeps its handle.
        case launched(RestartStateMachine.LaunchID, any SuccessorProcess)
    }

    /// The generation's fixed parts.
    struct Parts {
        var environment: any RuntimeEnvironment
        var servers: [any RestartableServer]
        var hooks: Runtime.Hooks
        var predecessor: (any PredecessorProcess)?
        /// What `reportReady` tells the predecessor.
        var adopted: [Int]
        var unixPaths: [String]
        var listeners: ListenerSet?
        var control: Listener?
        var stageReached: @Sendable (Runtime.HandOverStage) -> Void
        var logger: Logger
        /// What goes to the successor with each stage, and comes from the predecessor.
        var handOverState: Runtime.HandOverState? = nil
    }

    private let parts: Parts
    private var machine: RestartStateMachine
    private var successors: [RestartStateMachine.LaunchID: any SuccessorProcess] = [:]
    private var activeTimers: Set<RestartStateMachine.Timer> = []
    private var reloadWaiters: [ControlServer.Reply] = []
    /// Replies being written; the process waits for them before it exits.
    private var replies: [EventLoopFuture<Void>] = []
    private var lastReload: ControlProtocol.ReloadResult?
    private var controlServer: ControlServer?
    private var ending: RestartStateMachine.Ending?
    private let startedAt = Date()
    private let metrics: RuntimeMetrics.Recorder
    /// When the restart that the next launch carries out was asked for (a restart asked for
    /// during another, or during a drain, launches later).
    private var restartRequestedAt: ContinuousClock.Instant?
    /// When each launch's restart was asked for, until its successor is ready.
    private var launchRequestedAt: [RestartStateMachine.LaunchID: ContinuousClock.Instant] = [:]

    init(parts: Parts, configuration: RestartStateMachine.Configuration) {
        self.parts = parts
        machine = RestartStateMachine(configuration: configuration)
        metrics = RuntimeMetrics.Recorder(generation: configuration.generation, startedAt: startedAt)
        if let predecessor = parts.predecessor {
            lastReload = ControlProtocol.ReloadResult(
                at: startedAt.timeIntervalSince1970, ok: true,
                message: "took over from generation \(configuration.generation - 1) (pid \(predecessor.pid))")
        }
    }

    private var logger: Logger { parts.logger }

    /// Runs until the machine exits. `sources` adds the tasks that feed inputs (signals,
    /// watched files); every task still running then is cancelled.
    mutating func run(inputs: AsyncStream<Input>, continuation: AsyncStream<Input>.Continuation,
                      sources: @Sendable (inout TaskGroup<Void>) -> Void) async -> RestartStateMachine.Ending {
        await withTaskGroup(of: Void.self) { group in
            sources(&group)
            await process(.started, group: &group, continuation: continuation)
            if let predecessor = parts.predecessor {
                // The stages and the exit complete at EOF too: a predecessor that died has
                // stopped accepting and finished. A stop request never comes from EOF.
                // The state it sent is received before the event, so before this generation
                // accepts; one task for both stages, so that their states are received in
                // the order they were sent (the later one describes the finished drain).
                group.addTask { [receive = parts.handOverState?.receive] in
                    let stages: [(RestartStateMachine.Stage, RestartStateMachine.Event)] = [
                        (.acceptingStopped, .predecessorStoppedAccepting), (.shutdownComplete, .predecessorFinished),
                    ]
                    for (stage, event) in stages {
                        let state = await predecessor.wait(for: stage)
                        guard !Task.isCancelled else { return }
                        if let state { receive?(state) }
                        continuation.yield(.event(event))
                    }
                }
                group.addTask {
                    await predecessor.waitUntilExited()
                    if !Task.isCancelled { continuation.yield(.event(.predecessorExited)) }
                }
                group.addTask {
                    if await predecessor.waitForStopRequest() {
                        continuation.yield(.event(.stopRequested(bySignal: false)))
                    }
                }
            }
            for await input in inputs {
                switch input {
                case .event(.timerFired(let timer)) where activeTimers.remove(timer) == nil:
                    continue  // cancelled meanwhile
                case .event(let event):
                    await process(event, group: &group, continuation: continuation)
                case .command(let request, let reply):
                    await handle(request, reply: reply, group: &group, continuation: continuation)
                case .launched(let launch, let successor):
                    successors[launch] = successor
                    group.addTask { await Self.monitor(successor, launch: launch, continuation: continuation) }
                    await process(.successorLaunched(launch, pid: successor.pid), group: &group,
                                  continuation: continuation)
                }
                if ending != nil { break }
                // While it serves, this generation does not exit within moments: replies
                // written so far have long reached their clients.
                if case .serving = machine.state { replies.removeAll() }
            }
            group.cancelAll()
            // An answer to `reload` written just before the exit must reach its client.
            for reply in replies { try? await reply.get() }
            return ending ?? .stopped
        }
    }

    /// Feeds `event` to the machine and carries out its actions; an action answered at once
    /// (a pid-file write, a liveness check) feeds its answer before anything else.
    private mutating func process(_ event: RestartStateMachine.Event, reply: ControlServer.Reply? = nil,
                                  group: inout TaskGroup<Void>, continuation: AsyncStream<Input>.Continuation) async {
        // Whichever generation a stop reaches, the service ends: a supervisor must not take
        // the generations' exit for a crash.
        if case .stopRequested = event { tellSupervisor(.stopping) }
        record(event)
        var queue = [event]
        while !queue.isEmpty {
            let actions = machine.handle(queue.removeFirst())
            for action in actions {
                if let answer = await perform(action, reply: reply, group: &group, continuation: continuation) {
                    queue.append(answer)
                }
            }
        }
    }

    private mutating func perform(_ action: RestartStateMachine.Action,
                                  reply: ControlServer.Reply?,
                                  group: inout TaskGroup<Void>,
                                  continuation: AsyncStream<Input>.Continuation) async -> RestartStateMachine.Event? {
        switch action {
        case .reportReady:
            await parts.predecessor?.reportReady(generation: machine.configuration.generation, adopted: parts.adopted,
                                                 unixPaths: parts.unixPaths)
            parts.stageReached(.ready)
        case .reportAccepting:
            await parts.predecessor?.report(.accepting(pid: machine.configuration.pid))
        case .reportTookOver:
            parts.stageReached(.tookOver)
            await parts.predecessor?.report(.tookOver(pid: machine.configuration.pid))
        case .reportStopping:
            await parts.predecessor?.report(.stopping(pid: machine.configuration.pid))
        case .startAccepting:
            parts.stageReached(.accepting)
            for server in parts.servers { server.startAccepting() }
            tellSupervisor(.serving)
            if let dropped = parts.listeners?.closeUnclaimed(removingFiles: parts.predecessor == nil), !dropped.isEmpty {
                logger.info("closed inherited sockets the config no longer uses: \(dropped.map { "\($0)" }.joined(separator: ", "))")
            }
            logger.info("ready", metadata: ["executable": "\(machine.configuration.executable)"])
        case .resumeAccepting:
            for server in parts.servers {
                do {
                    try await server.resumeAccepting()
                } catch {
                    logger.error("cannot accept again: \(error)")
                }
            }
            tellSupervisor(.serving)
        case .startTimer(let timer, let duration):
            activeTimers.insert(timer)
            group.addTask { [environment = parts.environment] in
                guard (try? await environment.sleep(for: duration)) != nil else { return }
                continuation.yield(.event(.timerFired(timer)))
            }
        case .cancelTimer(let timer):
            activeTimers.remove(timer)
        case .launchSuccessor(let launch, let generation):
            launchRequestedAt[launch] = restartRequestedAt ?? .now
            restartRequestedAt = nil
            group.addTask { [environment = parts.environment] in
                do {
                    let successor = try await environment.launchSuccessor(generation: generation)
                    // This generation has exited meanwhile: nobody would ever kill it.
                    if Task.isCancelled { successor.kill() }
                    continuation.yield(.launched(launch, successor))
                } catch {
                    continuation.yield(.event(.successorLaunchFailed(
                        launch, SuccessorFailure(summary: "cannot start generation \(generation): \(error)"))))
                }
            }
        case .killSuccessor(let launch):
            successors[launch]?.kill()
        case .checkSuccessor(let launch):
            // An ended successor is reported by its monitor, with how it ended.
            if let successor = successors[launch], !successor.hasExited { return .successorAlive(launch) }
        case .killPredecessor:
            parts.predecessor?.kill()
        case .forwardRestart(let launch):
            successors[launch]?.forwardRestart()
        case .forwardStop(let launch):
            await successors[launch]?.requestStop()
        case .tellSuccessor(let launch, let stage):
            await successors[launch]?.send(stage, state: handOverState())
        case .startControlServer:
            await startControlServer(continuation: continuation)
        case .stopControlServer:
            await controlServer?.stop()
            controlServer = nil
        case .drain(let drain, let afterShutdownDelay):
            group.addTask { [servers = parts.servers, hooks = parts.hooks, environment = parts.environment,
                             metrics] in
                // Stop accepting first, so that a successor never waits on a slow hook.
                await withTaskGroup(of: Void.self) { stops in
                    for server in servers {
                        stops.addTask {
                            if afterShutdownDelay, server.shutdownDelay > .zero {
                                // Cut short (a second stop signal cancels this task) or not,
                                // accepting stops next.
                                try? await environment.sleep(for: server.shutdownDelay)
                            }
                            await server.stopAccepting()
                        }
                    }
                }
                continuation.yield(.event(.acceptingStopped(drain)))
                await hooks.preShutdown()
                continuation.yield(.event(.drainStarted(drain)))
                let drainStart = ContinuousClock.now
                await withTaskGroup(of: Void.self) { drains in
                    for server in servers { drains.addTask { await server.drain() } }
                }
                // Before `drained`: the state sent with `shutdownComplete` includes it.
                metrics.drainDuration.record((ContinuousClock.now - drainStart).inSeconds)
                continuation.yield(.event(.drained(drain)))
            }
        case .runHook(let hook):
            await run(hook)
        case .writePIDFile:
            do {
                try parts.environment.writePIDFile()
                return .pidFileWritten(ok: true)
            } catch {
                logger.error("\(error); trying again at the next change of state")
                return .pidFileWritten(ok: false)
            }
        case .notify(let notification):
            parts.environment.notify(notification)
            // The moment systemd hears of the new main pid, a supervisor hears of it too.
            if case .handedOver(let successor, _) = notification { tellSupervisor(.handingOver(successor: successor)) }
        case .log(let level, let message):
            logger.log(level: level, "\(message)")
        case .awaitReload:
            if let reply { reloadWaiters.append(reply) }
        case .refuseReload(let message):
            if let reply { replies.append(reply(ControlProtocol.Reply(ok: false, message: message))) }
        case .abandonReloads(let message):
            answerReloads(ControlProtocol.Reply(ok: false, message: message))
        case .finishRestart(let result, let answerWaiters):
            // A success is counted by the successor, which serves on with the total.
            if !result.ok { metrics.restartsFailed.increment() }
            lastReload = ControlProtocol.ReloadResult(at: Date().timeIntervalSince1970, ok: result.ok,
                                                      message: result.summary)
            if answerWaiters {
                answerReloads(ControlProtocol.Reply(ok: result.ok, message: result.detail, pid: result.pid,
                                                    generation: result.generation))
            }
        case .exit(let ending):
            self.ending = ending
            switch ending {
            case .handedOver(_, _, let cutShort):
                // The supervisor's exit status says a drain was cut short, whichever it was.
                if cutShort { tellSupervisor(.exiting(status: 1)) }
            // What `Runtime.Ending` asks the caller to exit with: the supervisor exits with it
            // if this generation is the last, whoever reaps it.
            case .stopped, .stoppedBeforeTurn: tellSupervisor(.exiting(status: 0))
            case .interrupted: tellSupervisor(.exiting(status: 1))
            }
        }
        return nil
    }

    /// The app's hand-over state now, unless it is too large for a control frame: then the
    /// stage goes without it rather than not at all.
    private func handOverState() -> [UInt8]? {
        guard let state = parts.handOverState?.snapshot() else { return nil }
        guard state.count <= ControlChannel.maximumState else {
            logger.warning("the hand-over state (\(state.count) bytes) is over the limit of \(ControlChannel.maximumState) bytes; the successor goes without it")
            return nil
        }
        return state
    }

    /// Records what `event` says about restarts: when one was asked for, how long its
    /// successor took to be ready, and, in a successor, that it took over.
    private mutating func record(_ event: RestartStateMachine.Event) {
        switch event {
        case .restartRequested:
            if restartRequestedAt == nil { restartRequestedAt = .now }
        case .successorReady(let launch, _, _, _):
            if let requested = launchRequestedAt.removeValue(forKey: launch) {
                metrics.restartDuration.record((ContinuousClock.now - requested).inSeconds)
            }
        case .predecessorStoppedAccepting:
            metrics.restartsOK.increment()
        default:
            break
        }
    }

    private func tellSupervisor(_ news: SupervisorNews) {
        do {
            try parts.environment.tellSupervisor(news)
        } catch {
            logger.error("cannot tell the supervisor this generation is \(news): \(error)")
        }
    }

    private mutating func answerReloads(_ reply: ControlProtocol.Reply) {
        replies += reloadWaiters.map { $0(reply) }
        reloadWaiters.removeAll()
    }

    private func run(_ hook: RestartStateMachine.Hook) async {
        switch hook {
        case .preParentExit: await parts.hooks.preParentExit()
        case .completeShutdown: await parts.hooks.completeShutdown()
        case .restartFailed(let failure): parts.hooks.restartFailed(failure)
        case .resumed: await parts.hooks.resumed()
        case .stopping: await parts.hooks.stopping()
        }
    }

    /// What one successor says, then its exit. The exit comes after its last message, so a
    /// successor's own account of its failure is never replaced by "it exited".
    private static func monitor(_ successor: any SuccessorProcess, launch: RestartStateMachine.LaunchID,
                                continuation: AsyncStream<Input>.Continuation) async {
        for await message in successor.messages {
            let event: RestartStateMachine.Event
            switch message {
            case .ready(let pid, _, let adopted, let unixPaths, let version) where pid == successor.pid:
                event = .successorReady(launch, unixPaths: unixPaths, adopted: adopted.count,
                                        confirms: (version ?? 1) >= 2)
            case .failed(_, let reason, let failure):
                event = .successorFailed(launch, ControlMessage.failure(reason: reason, failure: failure))
            case .tookOver(let pid) where pid == successor.pid:
                event = .successorTookOver(launch)
            case .accepting(let pid) where pid == successor.pid:
                event = .successorAccepting(launch)
            case .stopping(let pid) where pid == successor.pid:
                event = .successorStopping(launch)
            default:
                continue
            }
            continuation.yield(.event(event))
        }
        guard let status = await successor.waitForExit() else { return }
        continuation.yield(.event(.successorExited(launch, status: status.description)))
    }

    private mutating func startControlServer(continuation: AsyncStream<Input>.Continuation) async {
        guard let control = parts.control, controlServer == nil else { return }
        do {
            controlServer = try await ControlServer.start(listener: control) { request, reply in
                continuation.yield(.command(request, reply: reply))
            }
        } catch {
            logger.error("cannot serve the control socket \(control.address): \(error)")
        }
    }

    /// `reload` waits for the outcome of the restart it starts or joins; `stop` is answered
    /// at once, its connection closing when the process exits.
    private mutating func handle(_ request: ControlProtocol.Request,
                                 reply: @escaping ControlServer.Reply,
                                 group: inout TaskGroup<Void>, continuation: AsyncStream<Input>.Continuation) async {
        let configuration = machine.configuration
        switch request.command {
        case .reload:
            await process(.restartRequested(.command), reply: reply, group: &group, continuation: continuation)
        case .stop:
            replies.append(reply(ControlProtocol.Reply(ok: true, message: "stopping: draining connections",
                                                       pid: configuration.pid, generation: configuration.generation)))
            await process(.stopRequested(bySignal: false), group: &group, continuation: continuation)
        case .status:
            let status = ControlProtocol.Status(
                pid: configuration.pid, generation: configuration.generation,
                startedAt: startedAt.timeIntervalSince1970, uptimeSeconds: Date().timeIntervalSince(startedAt),
                state: machine.stateDescription,
                listeners: (parts.listeners?.claimed ?? []).map { listener in
                    listener.name.map { "\(listener.address) (\($0))" } ?? "\(listener.address)"
                },
                lastReload: lastReload)
            _ = reply(ControlProtocol.Reply(ok: true, message: machine.stateDescription, pid: configuration.pid,
                                            generation: configuration.generation, status: status))
        }
    }
}
