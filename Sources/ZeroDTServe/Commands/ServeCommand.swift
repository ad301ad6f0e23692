import ArgumentParser
import Foundation
import Logging

/// `zerodt-serve [serve] --config FILE`: runs every server in the foreground.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run every server the config declares, in the foreground, logging to stderr.",
        discussion: "SIGTERM or SIGINT drains and stops; a second one stops at once."
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let site: SiteConfig
        do {
            site = try ConfigLoader(modules: ZeroDTServe.modules).load(file: options.config)
        } catch {
            Output.standardError(DiagnosticRenderer(sources: error.sources).render(error.diagnostics))
            throw ExitCode.failure
        }
        let identity = LineLogHandler.Identity(generation: 1, pid: getpid())
        let logConfig = site.log
        LoggingSystem.bootstrap { label in
            LineLogHandler(logLevel: logConfig.level, label: label, format: logConfig.format, identity: identity)
        }
        let logger = Logger(label: "zerodt")
        do {
            try await SiteRunner(config: site, logger: logger).run()
        } catch let error as ServeError {
            logger.error("\(error.description)")
            throw ExitCode.failure
        }
    }
}
