/// The command lines that only run `serve` with a config file, recognised without
/// ArgumentParser: `--config FILE`, `-c FILE` or `--config=FILE`, each alone or after
/// `serve`.
///
/// Every generation a restart starts gets the first one's command line, which is nearly
/// always one of these. ArgumentParser costs a successor about 2.5 ms of CPU on the path
/// from SIGHUP to ready (it reflects over every command's arguments and checks for a
/// completion-script request before it parses); on a loaded machine that is more than 2.5 ms
/// of waiting. Any other command line, including a near miss, goes to ArgumentParser, so
/// help, errors and every other command stay its own.
enum ServeArguments {
    /// The config file `arguments` (without the program's name) serve, or nil when they are
    /// anything but one of the forms above; `ServeArgumentsTests` checks that ArgumentParser
    /// reads each accepted form as the same file.
    static func configPath(_ arguments: [String]) -> String? {
        var rest = arguments[...]
        if rest.first == ServeCommand.configuration.commandName { rest = rest.dropFirst() }
        switch rest.count {
        case 1:
            let prefix = "--config="
            guard let only = rest.first, only.hasPrefix(prefix) else { return nil }
            return usable(String(only.dropFirst(prefix.count)))
        case 2:
            guard ["--config", "-c"].contains(rest[rest.startIndex]) else { return nil }
            return usable(rest[rest.startIndex + 1])
        default:
            return nil
        }
    }

    /// A value ArgumentParser would take as the file: not empty, not an option.
    private static func usable(_ value: String) -> String? {
        value.isEmpty || value.hasPrefix("-") ? nil : value
    }
}
