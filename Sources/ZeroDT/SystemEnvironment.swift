import Foundation

/// The real `RuntimeEnvironment`: spawns the binary on disk, writes the pid file, talks to
/// systemd, sleeps on the continuous clock.
struct SystemEnvironment: RuntimeEnvironment {
    let executable: String
    let arguments: [String]
    let listeners: ListenerSet
    let pidFile: PIDFile?
    /// The pid file's locked fd, handed to every successor.
    let pidFileLock: Int32?
    let notifier: SystemdNotifier
    let supervisor: SupervisorLink?
    let generation: Int

    func launchSuccessor(generation: Int) async throws -> any SuccessorProcess {
        try await Successor.launch(executable: executable, arguments: arguments,
                                   environment: ProcessInfo.processInfo.environment,
                                   listeners: listeners.claimed, pidFileLock: pidFileLock,
                                   supervisor: supervisor?.fd, generation: generation)
    }

    func tellSupervisor(_ news: SupervisorNews) throws {
        switch news {
        case .serving: try supervisor?.reportServing(pid: getpid(), generation: generation, listeners: listeners.claimed)
        case .stopping: try supervisor?.reportStopping(pid: getpid(), generation: generation)
        case .exiting(let status): try supervisor?.reportExiting(pid: getpid(), generation: generation, status: status)
        case .handingOver(let successor):
            try supervisor?.reportHandingOver(pid: getpid(), generation: generation, successor: successor)
        }
    }

    func writePIDFile() throws {
        try pidFile?.write()
    }

    func notify(_ notification: RestartStateMachine.Notification) {
        notifier.notify(notification.fields)
    }

    func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

extension RestartStateMachine.Notification {
    /// The `sd_notify` fields.
    var fields: [String] {
        switch self {
        case .reloading(let status):
            return ["RELOADING=1", SystemdNotifier.monotonicMicroseconds(), "STATUS=\(status)"]
        case .ready(let status):
            return ["READY=1", "STATUS=\(status)"]
        case .handedOver(let pid, let status):
            return ["MAINPID=\(pid)", "READY=1", "STATUS=\(status)"]
        case .tookBack(let status):
            return ["MAINPID=\(getpid())", "READY=1", "STATUS=\(status)"]
        case .stopping(let status):
            return ["STOPPING=1", "STATUS=\(status)"]
        }
    }
}
