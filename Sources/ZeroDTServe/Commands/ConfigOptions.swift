import ArgumentParser

/// The `--config` option every command shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("The YAML config file.", valueName: "file"))
    var config: String
}
