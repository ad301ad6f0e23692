/// Where this process's log lines go, as `log:` says: the log (a file, or stderr) and the
/// access log file, if any. Every process opens them itself, so a restart reopens them too.
struct LogSinks: Sendable {
    /// The log: `log.file`, or stderr.
    let main: any LineSink
    /// `log.access.file`, when access lines go to a file of their own.
    let access: (any LineSink)?

    /// Opens the files `config` names.
    /// - Throws: `LogFile.OpenError` when one cannot be opened.
    init(_ config: LogConfig) throws(LogFile.OpenError) {
        main = try config.file.map { path throws(LogFile.OpenError) in try LogFile(path: path) } ?? LineWriter.standardError
        access = try config.accessFile.map { path throws(LogFile.OpenError) in try LogFile(path: path) }
    }

    /// SIGUSR1: every file is opened again by its path.
    func reopen() {
        main.reopen()
        access?.reopen()
    }

    /// Before the process exits: what is queued is written, within a bound.
    func flush() {
        main.flush(timeout: .seconds(2))
        access?.flush(timeout: .seconds(2))
    }
}
