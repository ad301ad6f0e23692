import ArgumentParser

/// `zerodt-serve`: the command-line front end.
struct RootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zerodt-serve",
        abstract: "Serve HTTP from a YAML config, with zero-downtime restarts.",
        subcommands: [ServeCommand.self, CheckCommand.self, ReloadCommand.self, StopCommand.self, StatusCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
