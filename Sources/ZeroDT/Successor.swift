#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers

/// The parent's view of the generation it is starting: spawn it with the listeners and one
/// end of a control socketpair, wait for its verdict, and kill it if it fails.
final class Successor: Sendable {
    /// What the successor said, or what became of it.
    enum Outcome: Sendable, Equatable {
        case ready(adopted: [Int], unixPaths: [String])
        case failed(String)
    }

    let pid: pid_t
    let generation: Int
    private let channel: ControlChannel
    /// How the process ended, once `stop` has killed and reaped it; later calls reuse it
    /// rather than signalling a pid that may belong to another process by then.
    private let ended = NIOLockedValueBox<Task<ProcessStatus, Never>?>(nil)

    private init(pid: pid_t, generation: Int, channel: ControlChannel) {
        self.pid = pid
        self.generation = generation
        self.channel = channel
    }

    /// Starts `executable` as generation `generation`, handing it `listeners` as fds 3…
    /// and the control channel right after them.
    static func launch(executable: String, arguments: [String], environment: [String: String],
                       listeners: [Listener], generation: Int) async throws -> Successor {
        var pair: [Int32] = [-1, -1]
        try Posix.call("socketpair") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair)
        }
        var environment = environment
        for name in SocketActivation.variables + Runtime.privateVariables { environment[name] = nil }
        environment["LISTEN_FDS"] = String(listeners.count)
        environment["LISTEN_FDNAMES"] = SocketActivation.namesVariable(listeners.map(\.name))
        environment[SocketActivation.systemdVariable] = SocketActivation.systemdVariable(listeners)
        environment[Runtime.controlFDVariable] = String(SocketActivation.firstFD + Int32(listeners.count))
        environment[Runtime.generationVariable] = String(generation)
        let pid: pid_t
        do {
            pid = try Spawn.start(path: executable, arguments: arguments, environment: environment,
                                  fds: listeners.map(\.fd) + [pair[1]], setListenPID: true)
        } catch {
            Posix.close(pair[0])
            Posix.close(pair[1])
            throw error
        }
        Posix.close(pair[1])
        let channel: ControlChannel
        do {
            channel = try await ControlChannel.adopt(fd: pair[0])
        } catch {
            // The child would wait for a hello forever, holding every listener.
            Posix.close(pair[0])
            kill(pid, SIGKILL)
            _ = await ProcessStatus.reap(pid)
            throw error
        }
        let successor = Successor(pid: pid, generation: generation, channel: channel)
        try? await channel.send(.hello(parentPID: getpid(), generation: generation - 1))
        return successor
    }

    /// Waits for `ready` or `failed`; a successor that exits (EOF) or says nothing within
    /// `timeout` has failed. A failed successor is killed and reaped before this returns.
    func awaitOutcome(timeout: Duration) async -> Outcome {
        let outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { [channel, pid] in
                for await message in channel.messages {
                    switch message {
                    case .ready(let readyPID, _, let adopted, let unixPaths) where readyPID == pid:
                        return .ready(adopted: adopted, unixPaths: unixPaths)
                    case .failed(_, let reason):
                        return .failed(reason)
                    default:
                        continue
                    }
                }
                return .failed("exited before it was ready")
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : .failed("not ready within \(timeout.formatted)")
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failed("cancelled")
        }
        if case .failed(let reason) = outcome {
            return .failed(await stop(reason: reason))
        }
        return outcome
    }

    /// Kills and reaps the successor; returns `reason` with how it ended.
    func stop(reason: String) async -> String {
        let task = ended.withLockedValue { ended in
            if let ended { return ended }
            let pid = pid
            kill(pid, SIGKILL)
            let task = Task { await ProcessStatus.reap(pid) }
            ended = task
            return task
        }
        await channel.close()
        let status = await task.value
        // A successor that reported failure exits by itself; only a kill is worth mentioning.
        return status.raw & 0x7f == SIGKILL ? reason : "\(reason); it \(status)"
    }

    /// Tells the successor this generation no longer accepts, so it may start.
    func sendAcceptingStopped() async {
        try? await channel.send(.acceptingStopped)
    }

    /// Tells the successor the drain is over; it may stop waiting (stateful mode).
    func sendShutdownComplete() async {
        try? await channel.send(.shutdownComplete)
        await channel.close()
    }

    /// Asks the successor to restart once more (a SIGHUP that arrived mid-restart).
    func forwardRestart() {
        kill(pid, SIGHUP)
    }
}
