import ArgumentParser
import Foundation
import ZeroDT

/// The running instance a config describes, reached through its control socket or, when
/// it has none, through the pid in its pid file and signals.
struct RunningServer {
    let site: SiteConfig

    /// Loads the config named on the command line; a broken config is reported like `check` does.
    static func load(_ options: ConfigOptions) throws -> RunningServer {
        do {
            return RunningServer(site: try ConfigLoader(modules: ZeroDTServe.modules).load(file: options.config))
        } catch {
            Output.standardError(DiagnosticRenderer(sources: error.sources).render(error.diagnostics))
            throw ExitCode.failure
        }
    }

    /// The longest the servers may take to drain.
    var longestShutdown: Duration {
        site.servers.map(\.timeouts.shutdown).max() ?? .seconds(30)
    }

    /// A control connection, when the config declares a control socket.
    func controlClient() throws -> ControlClient? {
        guard let path = site.control else { return nil }
        return try ControlClient(path: path)
    }

    /// The pid in the pid file, checked to be alive.
    func pidFromFile() throws -> Int32 {
        guard let path = site.pidFile else {
            throw CommandFailure("\(site.file) declares neither 'control' nor 'pid_file'; there is no way to reach the server")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
        else { throw CommandFailure("cannot read a pid from \(path) (is the server running?)") }
        guard kill(pid, 0) == 0 else { throw CommandFailure("pid \(pid) from \(path) is not running") }
        return pid
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
