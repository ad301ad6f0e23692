/// Whether the first process stays as a supervisor of the generations (`Supervisor`): it
/// serves nothing, forwards signals to the serving generation, reaps every child and starts
/// a new generation on the same sockets when the serving one dies without a hand-over.
public enum Supervision: String, Sendable, CaseIterable {
    /// When the process is PID 1, or runs in a terminal (stdin is one) outside systemd
    /// (`NOTIFY_SOCKET` unset): where the first pid must stay for the service to live.
    case auto
    /// Always, systemd included.
    case always
    /// Never: each generation replaces the last, as under systemd with `MAINPID`.
    case never

    /// Whether a process in these circumstances supervises.
    func isOn(pid: Int32, stdinIsTerminal: Bool, underSystemd: Bool) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto: return pid == 1 || (stdinIsTerminal && !underSystemd)
        }
    }
}
