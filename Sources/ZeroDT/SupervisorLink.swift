#if canImport(Glibc)
import Glibc
#endif

/// A generation's end of the supervisor's channel (`Supervisor`), inherited from the
/// supervisor or a predecessor and handed on to each successor, so that the channel reaches
/// end-of-file exactly when the last generation has exited.
/// What a generation tells its supervisor through `RuntimeEnvironment`.
enum SupervisorNews: Sendable, Equatable {
    /// It accepts connections, on every listener it holds.
    case serving
    /// The service is being stopped.
    case stopping
    /// It stopped and exits with this status.
    case exiting(status: Int32)
    /// It hands over to the successor with this pid.
    case handingOver(successor: Int32)
}

struct SupervisorLink: Sendable {
    /// Names the inherited fd; private, unset once read.
    static let variable = "ZERODT_SUPERVISOR_FD"

    let fd: Int32

    /// The link named by the environment, marked close-on-exec so that nothing but a
    /// successor (which gets it explicitly) inherits it.
    init?(environment: [String: String]) {
        guard let fd = environment[Self.variable].flatMap(Int32.init),
              Posix.isUnixSocket(fd, type: Int32(SOCK_SEQPACKET.rawValue)) else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        self.fd = fd
    }

    /// This generation handles signals now.
    func reportStarted(pid: Int32, generation: Int) throws(SystemError) {
        try SupervisorMessage(kind: .started, pid: pid, generation: generation).send(on: fd)
    }

    /// This generation accepts connections on `listeners`.
    func reportServing(pid: Int32, generation: Int, listeners: [Listener]) throws(SystemError) {
        for (message, fds) in SupervisorMessage.serving(pid: pid, generation: generation, listeners: listeners) {
            try message.send(on: fd, fds: fds)
        }
    }

    /// The service is being stopped.
    func reportStopping(pid: Int32, generation: Int) throws(SystemError) {
        try SupervisorMessage(kind: .stopping, pid: pid, generation: generation).send(on: fd)
    }

    /// This generation hands over to `successor`.
    func reportHandingOver(pid: Int32, generation: Int, successor: Int32) throws(SystemError) {
        try SupervisorMessage(kind: .handingOver, pid: pid, generation: generation, successor: successor).send(on: fd)
    }

    /// This generation cannot start, for `reason`.
    func reportFailed(pid: Int32, generation: Int, reason: String) throws(SystemError) {
        try SupervisorMessage(kind: .failed, pid: pid, generation: generation, reason: reason).send(on: fd)
    }

    /// This generation stopped and exits with `status`.
    func reportExiting(pid: Int32, generation: Int, status: Int32) throws(SystemError) {
        try SupervisorMessage(kind: .exiting, pid: pid, generation: generation, status: status).send(on: fd)
    }
}
