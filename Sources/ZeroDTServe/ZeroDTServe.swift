import NIOConcurrencyHelpers

/// The `zerodt-serve` command line as a library, so that a program can ship it with
/// handler modules of its own.
public enum ZeroDTServe {
    private static let registry = NIOLockedValueBox(ModuleRegistry.builtIn)

    /// The handler modules this process knows: the built-in ones (`ModuleRegistry.builtIn`)
    /// plus those passed to `main(modules:)`.
    public static var modules: ModuleRegistry { registry.withLockedValue { $0 } }

    /// Runs the command line with the process's arguments and exits.
    public static func main() async {
        await runCommandLine()
    }

    /// Runs the full command line (serve, check, …) with `modules` added to the built-in
    /// ones, and exits. A module named like a built-in one replaces it.
    ///
    /// ```swift
    /// import ZeroDTServe
    /// await ZeroDTServe.main(modules: [GreetingModule.self])
    /// ```
    /// - Important: call once, from the program's entry point.
    public static func main(modules: [any HandlerModule.Type]) async {
        registry.withLockedValue { registry in
            for module in modules { registry.register(module) }
        }
        await runCommandLine()
    }

    /// Serves at once when the command line only names a config file (`ServeArguments`), as
    /// every successor's does; parses it with ArgumentParser otherwise.
    private static func runCommandLine(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) async {
        guard let config = ServeArguments.configPath(arguments) else {
            await RootCommand.mainWithSuggestions(arguments)
            return
        }
        do {
            try await ServeCommand.serve(config: config)
        } catch {
            // As ArgumentParser's `main` ends: an `ExitCode` exits with it, anything else is printed.
            RootCommand.exit(withError: error)
        }
    }
}
