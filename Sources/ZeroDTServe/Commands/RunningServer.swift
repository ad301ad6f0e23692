import ArgumentParser
import Foundation
import ZeroDT
import ZeroDTHTTP

/// The running instance a config describes, reached through its control socket or, when
/// it has none, through the pid in its pid file and signals.
struct RunningServer {
    /// The config file as named on the command line.
    let file: String
    /// The control socket, if the config declares one.
    let control: String?
    /// The pid file, if the config declares one.
    let pidFile: String?
    /// How long a restart may take (`restart.wait_child`).
    let waitChild: Duration
    /// The longest the servers may take to stop (`shutdown_delay` and the drain).
    let longestStop: Duration
    /// The rendered diagnostics when the config does not load; `control` and `pid_file`
    /// were then read from it leniently.
    let diagnostics: String?

    /// Loads the config named on the command line. When it is invalid, the server it
    /// started (with an earlier, valid version) is still reached through the file's
    /// `control:` or `pid_file:`; only when neither can be read is that an error,
    /// reported like `check` does.
    static func load(_ options: ConfigOptions) throws -> RunningServer {
        do {
            let site = try ConfigLoader(modules: ZeroDTServe.modules).load(file: options.config)
            return RunningServer(file: site.file, control: site.control, pidFile: site.pidFile,
                                 waitChild: site.restart.waitChild,
                                 longestStop: site.servers.map(\.http.longestStop).max() ?? HTTPServerConfiguration().longestStop,
                                 diagnostics: nil)
        } catch {
            let rendered = DiagnosticRenderer(sources: error.sources).render(error.diagnostics)
            guard let endpoints = ConfigLoader.endpoints(file: options.config),
                  endpoints.control != nil || endpoints.pidFile != nil
            else {
                Output.standardError(rendered)
                throw ExitCode.failure
            }
            return RunningServer(file: options.config, control: endpoints.control, pidFile: endpoints.pidFile,
                                 waitChild: RestartConfig().waitChild, longestStop: HTTPServerConfiguration().longestStop,
                                 diagnostics: rendered)
        }
    }

    /// For commands that do not use the config's content: says that it is invalid, once.
    func warnIfInvalid() {
        guard diagnostics != nil else { return }
        Output.standardError("warning: \(file) is invalid (see 'zerodt-serve check'); "
                             + "reaching the running server through its \(control != nil ? "control socket" : "pid file") anyway\n")
    }

    /// A control connection, when the config declares a control socket.
    func controlClient() throws -> ControlClient? {
        guard let control else { return nil }
        return try ControlClient(path: control)
    }

    /// The pid in the pid file, checked to be alive.
    func pidFromFile() throws -> Int32 {
        guard let path = pidFile else {
            throw CommandFailure("\(file) declares neither 'control' nor 'pid_file'; there is no way to reach the server")
        }
        // Only from a regular file, not through a symlink: reading a FIFO put in its place
        // would hang, and a link planted in a shared directory would name any process.
        let pid: Int32
        switch PIDFile.readPID(atPath: path) {
        case .success(let read?):
            pid = read
        case .success(nil), .failure(.missing):
            throw CommandFailure("cannot read a pid from \(path) (is the server running?)")
        case .failure(.notRegular(let kind)):
            throw CommandFailure("\(path) is \(kind), not a regular file; not reading a pid from it")
        case .failure(let failure):
            throw CommandFailure("cannot read a pid from \(path): \(failure.description)")
        }
        guard Self.isRunning(pid) else { throw CommandFailure("pid \(pid) from \(path) is not running") }
        return pid
    }

    /// What identifies one write of the pid file (it is replaced by rename): inode and mtime.
    func pidFileVersion() -> [Int] {
        var info = stat()
        guard let pidFile, lstat(pidFile, &info) == 0 else { return [] }
        return [Int(info.st_ino), info.st_mtim.tv_sec, info.st_mtim.tv_nsec]
    }

    /// Whether `pid` exists and is not a zombie: an old generation whose parent has gone is
    /// reaped by pid 1, which some containers never do.
    static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"), stat.index(close, offsetBy: 2) < stat.endIndex
        else { return true }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// Polls `condition` every 50 ms until it returns a value or `timeout` passes.
    static func poll<T>(timeout: Duration, _ condition: () -> T?) -> T? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = condition() { return value }
            usleep(50_000)
        }
        return condition()
    }
}

/// A command that could not do its job: printed as `error: …`, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension CommandFailure {
    /// Prints the failure the way every command does and turns it into exit status 1.
    static func report(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as CommandFailure {
            Output.standardError("error: \(failure.description)\n")
            throw ExitCode.failure
        } catch let failure as ControlClient.Failure {
            Output.standardError("error: \(failure.description)\n")
            throw ExitCode.failure
        }
    }
}
