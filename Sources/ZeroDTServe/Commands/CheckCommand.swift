import ArgumentParser
import Foundation

/// `zerodt-serve check`: validates a config without binding or starting anything.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a config file and the files it points to, like a compiler.",
        discussion: "Prints FILE:LINE:COL: error: lines on stderr and exits 1 when the config is invalid."
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let site: SiteConfig
        do {
            site = try ConfigLoader(modules: ZeroDTServe.modules).load(file: options.config)
        } catch {
            Output.standardError(DiagnosticRenderer(sources: error.sources).render(error.diagnostics))
            let count = error.diagnostics.filter { $0.severity == .error }.count
            Output.standardError("\(options.config): \(count) error\(count == 1 ? "" : "s")\n")
            throw ExitCode.failure
        }
        if !site.warnings.isEmpty {
            let text = try? String(contentsOfFile: options.config, encoding: .utf8)
            Output.standardError(DiagnosticRenderer(sources: text.map { [options.config: $0] } ?? [:])
                .render(site.warnings))
        }
        // Servers sharing an address share its listener.
        let listeners = site.sockets.map(\.listener)
        let tlsListeners = listeners.filter { $0.tls != nil }.count
        print("\(options.config): ok — \(Self.plural(site.servers.count, "server")), "
              + "\(Self.plural(listeners.count, "listener"))"
              + (tlsListeners > 0 ? " (\(tlsListeners) TLS)" : "") + ", \(Self.plural(site.routes.count, "route"))")
    }

    static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}
