import ZeroDTHTTP

/// The handler modules a build of `zerodt-serve` knows, by name.
///
/// The config loader asks it whether a `handler:` name exists and lets the module
/// validate its `options:`; at start-up it creates each `handler:` route's handler.
public struct ModuleRegistry: Sendable {
    /// Checks a route's `options:` (nil when absent) and returns what is wrong with them.
    public typealias Validator = @Sendable (_ options: ConfigNode?) -> [Diagnostic]

    private struct Entry: Sendable {
        var validate: @Sendable (_ options: ConfigNode?, _ handlerLocation: SourceLocation?) -> [Diagnostic]
        /// Nil for modules registered with a validator only.
        var module: (any HandlerModule.Type)?
    }

    private var entries: [String: Entry] = [:]

    /// An empty registry.
    public init() {}

    /// A registry of `modules`; a later module replaces an earlier one of the same name.
    public init(_ modules: [any HandlerModule.Type]) {
        for module in modules { register(module) }
    }

    /// The modules every `zerodt-serve` ships: `status`, `echo`, `health` and `metrics`.
    public static let builtIn = ModuleRegistry([StatusModule.self, EchoModule.self, HealthModule.self, MetricsModule.self])

    /// The registered module names.
    public var names: [String] { entries.keys.sorted() }

    /// Registers `module` under its name, replacing any module of that name.
    public mutating func register(_ module: any HandlerModule.Type) {
        entries[module.name] = Entry(validate: { Self.diagnostics(module, $0, $1) }, module: module)
    }

    /// Registers a name that validates options but cannot serve: enough for `check` and for
    /// tests of the config loader. Serving a route that names it fails at start-up.
    public mutating func register(_ name: String, validator: @escaping Validator) {
        entries[name] = Entry(validate: { options, _ in validator(options) }, module: nil)
    }

    /// The diagnostics for a module's options, or nil when no module has that name.
    /// - Parameter handlerLocation: where the route's `handler:` value is, for errors about
    ///   options that are missing altogether.
    public func validate(module name: String, options: ConfigNode?,
                         handlerLocation: SourceLocation? = nil) -> [Diagnostic]? {
        entries[name].map { $0.validate(options, handlerLocation) }
    }

    /// The module registered under `name`, if it can serve.
    public func module(named name: String) -> (any HandlerModule.Type)? {
        entries[name]?.module
    }

    /// Creates the handler of a `handler:` route.
    /// - Throws: `ModuleStartError` when no module of that name can serve, its options are
    ///   invalid or its initializer throws.
    func makeHandler(_ config: HandlerConfig, setup: ModuleSetup) throws -> any HTTPHandler {
        guard let module = module(named: config.name) else {
            throw ModuleStartError(description: entries[config.name] == nil
                                   ? "no handler module named '\(config.name)'"
                                   : "module '\(config.name)' can check options but has no handler")
        }
        return try ModuleAdapter.makeHandler(module, options: config.options, setup: setup)
    }

    private static func diagnostics<M: HandlerModule>(_ module: M.Type, _ node: ConfigNode?,
                                                      _ location: SourceLocation?) -> [Diagnostic] {
        var options = ModuleOptions(module: M.name, node: node, handlerLocation: location)
        _ = M.configure(&options)
        return options.finish()
    }
}

/// Why a module could not be set up for a route at start-up.
struct ModuleStartError: Error, CustomStringConvertible {
    var description: String
}
