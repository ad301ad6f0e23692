import ArgumentParser

/// `zerodt-serve`: the command-line front end.
struct RootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zerodt-serve",
        abstract: "Serve HTTP from a YAML config, with zero-downtime restarts.",
        version: ZeroDTServe.versionDescription,
        subcommands: [ServeCommand.self, CheckCommand.self, ReloadCommand.self, StopCommand.self, StatusCommand.self],
        defaultSubcommand: ServeCommand.self
    )

    /// Runs the command line; a first argument that names no command is a usage error with a
    /// suggestion. Without this, `zerodt-serve chek` would reach the default command (serve)
    /// and fail as "Unexpected argument 'chek'".
    static func mainWithSuggestions(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) async {
        if let first = arguments.first, let message = unknownCommand(first) {
            exit(withError: ValidationError(message))
        }
        await main(arguments)
    }

    /// What to say about `word` in the command's place, or nil when it is a command or an option.
    static func unknownCommand(_ word: String) -> String? {
        let names = configuration.subcommands.compactMap { $0.configuration.commandName }
        guard !word.hasPrefix("-"), !names.contains(word), word != "help" else { return nil }
        if let guess = Suggestion.closest(to: word, among: names) {
            return "unknown command '\(word)'; did you mean '\(guess)'?"
        }
        if word.hasSuffix(".yaml") || word.hasSuffix(".yml") {
            return "unknown command '\(word)'; to serve that file, write '--config \(word)'"
        }
        return "unknown command '\(word)'; the commands are \(names.joined(separator: ", "))"
    }
}
