#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers

/// The parent's view of the generation it is starting: spawn it with the listeners and one
/// end of a control socketpair, read its reports, tell it the hand-over's stages, reap it.
final class Successor: SuccessorProcess {
    let pid: pid_t
    let reports: AsyncStream<SuccessorReport>
    private let channel: ControlChannel
    /// Set once `waitForExit` has reaped it: from then on its pid may name another process.
    private let reaped = NIOLockedValueBox(false)

    private init(pid: pid_t, channel: ControlChannel) {
        self.pid = pid
        self.channel = channel
        reports = AsyncStream { continuation in
            let task = Task {
                for await message in channel.messages {
                    switch message {
                    case .ready(let readyPID, _, let adopted, let unixPaths) where readyPID == pid:
                        continuation.yield(.ready(adopted: adopted, unixPaths: unixPaths))
                    case .failed(_, let failure):
                        continuation.yield(.failed(failure))
                    case .accepting(let senderPID) where senderPID == pid:
                        continuation.yield(.accepting)
                    case .tookOver(let senderPID) where senderPID == pid:
                        continuation.yield(.tookOver)
                    default:
                        continue
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
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
            Glibc.kill(pid, SIGKILL)
            _ = await ProcessStatus.reap(pid)
            throw error
        }
        let successor = Successor(pid: pid, channel: channel)
        try? await channel.send(.hello(parentPID: getpid(), generation: generation - 1))
        return successor
    }

    func waitForExit() async -> ProcessStatus? {
        guard let status = await ProcessStatus.reap(pid) else { return nil }
        reaped.withLockedValue { $0 = true }
        await channel.close()
        return status
    }

    var hasExited: Bool {
        reaped.withLockedValue { $0 } || ProcessStatus.hasEnded(pid)
    }

    func kill() {
        // Under the lock, so that the reaper cannot free the pid between the check and the kill.
        reaped.withLockedValue { reaped in
            if !reaped { _ = Glibc.kill(pid, SIGKILL) }
        }
    }

    func send(_ stage: RestartStateMachine.Stage) async {
        switch stage {
        case .acceptingStopped:
            try? await channel.send(.acceptingStopped)
        case .shutdownComplete:
            // The channel stays open: in stateful mode this generation waits on it for the
            // successor's `accepting` (so that a successor dying at that moment finds someone
            // to give the service back to). Closing it here lost that message, and every
            // stateful restart ended with a 10 s wait and a false warning. The channel closes
            // when this process exits.
            try? await channel.send(.shutdownComplete)
        }
    }

    func forwardRestart() {
        reaped.withLockedValue { reaped in
            if !reaped { _ = Glibc.kill(pid, SIGHUP) }
        }
    }
}
