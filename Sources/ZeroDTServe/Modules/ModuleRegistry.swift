/// The handler modules a build of `zerodt-serve` knows, by name.
///
/// The config loader asks it whether a `handler:` name exists and lets the module
/// validate its `options:`.
public struct ModuleRegistry: Sendable {
    /// Checks a route's `options:` (nil when absent) and returns what is wrong with them.
    public typealias Validator = @Sendable (_ options: ConfigNode?) -> [Diagnostic]

    private var validators: [String: Validator] = [:]

    /// An empty registry.
    public init() {}

    /// The registered module names.
    public var names: [String] { validators.keys.sorted() }

    /// Registers a module under `name`, replacing any module of that name.
    public mutating func register(_ name: String, validator: @escaping Validator) {
        validators[name] = validator
    }

    /// The diagnostics for a module's options, or nil when no module has that name.
    public func validate(module name: String, options: ConfigNode?) -> [Diagnostic]? {
        validators[name].map { $0(options) }
    }
}
