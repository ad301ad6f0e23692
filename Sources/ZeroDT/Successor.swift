#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOConcurrencyHelpers

/// The parent's view of the generation it is starting: spawn it with the listeners and one
/// end of a control socketpair, read its reports, tell it the hand-over's stages, reap it.
final class Successor: SuccessorProcess {
    let pid: pid_t
    private let channel: ControlChannel
    /// Set once `waitForExit` has reaped it: from then on its pid may name another process.
    /// Reaping happens under this lock, so a kill never reaches a reused pid.
    private let reaped = NIOLockedValueBox(false)

    private init(pid: pid_t, channel: ControlChannel) {
        self.pid = pid
        self.channel = channel
    }

    var messages: AsyncStream<ControlMessage> { channel.messages }

    /// Starts `executable` as generation `generation`, handing it `listeners` as fds 3…,
    /// the control channel right after them, then the pid file's lock and the supervisor's
    /// channel if there are.
    static func launch(executable: String, arguments: [String], environment: [String: String],
                       listeners: [Listener], pidFileLock: Int32?, supervisor: Int32?,
                       generation: Int) async throws -> Successor {
        var pair: [Int32] = [-1, -1]
        try Posix.call("socketpair") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair)
        }
        // The hello waits in the socket for the successor, which reads it as soon as it
        // connects: it never waits on this process's event loops (busy serving) for it.
        do {
            try Posix.writeAll(pair[0], ControlChannel.frame(.hello(parentPID: getpid(), generation: generation - 1,
                                                                   version: ControlMessage.currentVersion)))
        } catch {
            Posix.close(pair[0])
            Posix.close(pair[1])
            throw error
        }
        var environment = environment
        for name in Runtime.ownVariables { environment[name] = nil }
        environment["LISTEN_FDS"] = String(listeners.count)
        environment["LISTEN_FDNAMES"] = SocketActivation.namesVariable(listeners.map(\.name))
        environment[SocketActivation.systemdVariable] = SocketActivation.systemdVariable(listeners.map(\.fromSystemd))
        environment[Runtime.controlFDVariable] = String(SocketActivation.firstFD + Int32(listeners.count))
        environment[Runtime.generationVariable] = String(generation)
        let priority = StartupPriority.forSuccessor()
        environment[StartupPriority.variable] = String(priority.base)
        // The same open file description, so the lock stays held with no gap (`PIDFileLock`).
        var fds = listeners.map(\.fd) + [pair[1]]
        if let pidFileLock {
            environment[Runtime.pidFileLockFDVariable] = String(SocketActivation.firstFD + Int32(fds.count))
            fds.append(pidFileLock)
        }
        if let supervisor {
            environment[SupervisorLink.variable] = String(SocketActivation.firstFD + Int32(fds.count))
            fds.append(supervisor)
        }
        let pid: pid_t
        do {
            pid = try Spawn.start(path: executable, arguments: arguments, environment: environment,
                                  fds: fds, setListenPID: true, nice: priority.start)
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
        return Successor(pid: pid, channel: channel)
    }

    func waitForExit() async -> ProcessStatus? {
        guard await ProcessStatus.waitUntilEnded(pid) else { return nil }
        let status = reaped.withLockedValue { reaped in
            reaped = true
            return ProcessStatus.reapNow(pid)
        }
        await channel.close()
        return status
    }

    var hasExited: Bool {
        reaped.withLockedValue { $0 } || ProcessStatus.hasEnded(pid)
    }

    func kill() {
        reaped.withLockedValue { reaped in
            if !reaped { _ = Glibc.kill(pid, SIGKILL) }
        }
    }

    func send(_ stage: RestartStateMachine.Stage, state: [UInt8]?) async {
        let carried = state.map { Data($0) }
        switch stage {
        case .acceptingStopped:
            try? await channel.send(.acceptingStopped(state: carried))
        case .shutdownComplete:
            // The channel stays open until this process exits: this generation still waits on
            // it for the successor's confirmation, and its EOF is what tells the successor that
            // its predecessor is gone.
            try? await channel.send(.shutdownComplete(state: carried))
        }
    }

    func requestStop() async {
        try? await channel.send(.stop)
    }

    func forwardRestart() {
        reaped.withLockedValue { reaped in
            if !reaped { _ = Glibc.kill(pid, SIGHUP) }
        }
    }
}
