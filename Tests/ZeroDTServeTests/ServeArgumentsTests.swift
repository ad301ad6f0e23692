import Testing
@testable import ZeroDTServe

/// `ServeArguments` takes a command line past ArgumentParser only when ArgumentParser would
/// run `serve` with the same config file.
@Suite struct ServeArgumentsTests {
    @Test(arguments: [
        ["--config", "site.yaml"],
        ["-c", "site.yaml"],
        ["--config=site.yaml"],
        ["serve", "--config", "/etc/zerodt/site.yaml"],
        ["serve", "-c", "site.yaml"],
        ["serve", "--config=a=b.yaml"],
        ["--config", "serve"],
        ["--config", "with space.yaml"],
    ])
    func recognisesWhatArgumentParserServes(_ arguments: [String]) throws {
        let parsed = try #require(try RootCommand.parseAsRoot(arguments) as? ServeCommand)
        #expect(ServeArguments.configPath(arguments) == parsed.options.config)
    }

    @Test(arguments: [
        [],
        ["serve"],
        ["--config"],
        ["--config="],
        ["--config", ""],
        ["--config", "-x"],
        ["--config", "--help"],
        ["--config", "a.yaml", "--config", "b.yaml"],
        ["--config", "a.yaml", "--help"],
        ["--help"],
        ["--version"],
        ["check", "--config", "a.yaml"],
        ["reload", "-c", "a.yaml"],
        ["--config", "a.yaml", "serve"],
        ["-ca.yaml"],
        ["--conf", "a.yaml"],
        ["serve", "serve", "--config", "a.yaml"],
    ])
    func leavesEverythingElseToArgumentParser(_ arguments: [String]) {
        #expect(ServeArguments.configPath(arguments) == nil)
    }
}
