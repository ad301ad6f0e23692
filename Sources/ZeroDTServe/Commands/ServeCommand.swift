import ArgumentParser
import Foundation
import Logging
import ZeroDT

/// `zerodt-serve [serve] --config FILE`: runs every server in the foreground.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run every server the config declares, in the foreground, logging to stderr or log.file.",
        discussion: """
            SIGHUP or SIGUSR2 restarts with zero downtime: the binary on disk is started with the \
            config as it is now and takes over the sockets. SIGTERM or SIGINT drains and stops \
            (after shutdown_delay); a second one stops at once, as SIGQUIT does. SIGUSR1 reopens \
            the log files. In a terminal or as PID 1 the process stays as a supervisor of the \
            generations (restart.supervise).
            """
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await Self.serve(config: options.config)
    }

    /// Serves the config file at `config` until this generation hands over or is stopped.
    /// - Throws: `ExitCode.failure` once the reason has been reported.
    static func serve(config: String) async throws {
        // The config loads while the runtime starts, which mostly waits on other threads: a
        // successor is ready sooner. With the environment as it is once the runtime has taken
        // its own variables out, read before that starts (`unsetenv` races with any reader).
        let environment = ProcessInfo.processInfo.environment.filter { !Runtime.ownVariables.contains($0.key) }
        async let loaded = Result { () throws(ConfigError) in
            try ConfigLoader(modules: ZeroDTServe.modules, environment: environment).load(file: config)
        }
        let runtime = await Runtime.bootstrap()
        if runtime.isSuccessor { await StartupFault.inject(generation: runtime.generation) }
        let site: SiteConfig
        do {
            site = try await loaded.get()
            StartupFault.reached(.config, generation: runtime.generation)
        } catch {
            let rendered = DiagnosticRenderer(sources: error.sources).render(error.diagnostics)
            if runtime.failuresAreReported {
                // The predecessor (or supervisor) logs the diagnostics; printing them here too
                // would show every line twice on the shared stderr, and out of its log format.
                let cause = error.diagnostics.first { $0.severity == .error }.map { ": \($0)" } ?? ""
                await runtime.fail(SuccessorFailure(summary: "invalid config" + cause,
                                                    detail: "invalid config:\n\(rendered)"))
            } else {
                Output.standardError(rendered)
            }
            throw ExitCode.failure
        }
        let logs: LogSinks
        do {
            logs = try LogSinks(site.log)
        } catch {
            if runtime.failuresAreReported {
                await runtime.fail(SuccessorFailure(summary: "\(error)"))
            } else {
                Output.standardError("error: \(error)\n")
            }
            throw ExitCode.failure
        }
        // Lines still queued for a log file are written before the process exits.
        defer { logs.flush() }
        let supervising = runtime.shouldSupervise(site.restart.supervise)
        let identity = LineLogHandler.Identity(generation: supervising ? nil : runtime.generation, pid: getpid())
        let logConfig = site.log
        LoggingSystem.bootstrap { label in
            LineLogHandler(logLevel: logConfig.level, label: label, format: logConfig.format, identity: identity,
                           sink: logs.main)
        }
        let logger = Logger(label: "zerodt")
        do {
            let ending = supervising ? .supervised(exitStatus: await runtime.supervise(logger: logger, reopenLogs: logs.reopen))
                : try await SiteRunner(config: site, runtime: runtime, logs: logs, logger: logger).run()
            switch ending {
            case .handedOver(let pid):
                logger.info("handed over to pid \(pid); exiting")
            case .stopped:
                logger.info("stopped")
            case .interrupted:
                logger.warning("stopped without finishing the drain")
                throw ExitCode.failure
            case .supervised(let status):
                logger.info("exiting with status \(status)")
                throw ExitCode(status)
            }
        } catch let error as ServeError {
            logger.error("\(error.description)")
            await runtime.fail(SuccessorFailure(summary: error.description))
            throw ExitCode.failure
        }
    }
}
