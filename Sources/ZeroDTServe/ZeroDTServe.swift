/// The `zerodt-serve` command line as a library, so that a program can ship it with
/// handler modules of its own.
public enum ZeroDTServe {
    /// The handler modules every build of `zerodt-serve` knows.
    public static let modules = ModuleRegistry()

    /// Runs the command line with the process's arguments and exits.
    public static func main() async {
        await RootCommand.main()
    }
}
