import NIOHTTP1

/// A handler module: a named piece of Swift code that serves the routes whose config says
/// `handler: NAME`.
///
/// A module does two things:
/// - at `check` time (and again at start-up) `configure(_:)` reads its route's `options:`
///   through a `ModuleOptions`, which reports every problem with the file, line and column
///   of the offending node, like the rest of the config;
/// - at start-up one instance is created per route with `init(configuration:setup:)`, and
///   `handle(_:context:)` answers that route's requests.
///
/// `handle` is `async` and runs in a task of its own, off the server's event loops: a slow
/// module does not hold up other connections. An error it throws becomes a plain 500 for
/// the client and an `error` log line. Request bodies have already been read and are within
/// the server's `max_body_size`; larger ones are answered 413 without reaching a module.
///
/// An instance lives as long as its generation: a zero-downtime restart creates new
/// instances in the new process, so in-memory state starts afresh.
///
/// ```swift
/// struct Greeting: HandlerModule {
///     static let name = "greeting"
///     let greeting: String
///     init(configuration: String, setup: ModuleSetup) { greeting = configuration }
///     static func configure(_ options: inout ModuleOptions) -> String {
///         options.string("greeting") ?? "Hello"
///     }
///     func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse {
///         ModuleResponse(text: "\(greeting), world\n")
///     }
/// }
/// ```
public protocol HandlerModule: Sendable {
    /// What `configure(_:)` reads out of `options:`; `Void` for a module without options.
    associatedtype Configuration: Sendable

    /// The name routes use in `handler:`. Registering a second module of the same name
    /// replaces the first, so a program can override a built-in module.
    static var name: String { get }

    /// The methods the module answers; others get 405 with an `Allow` header without
    /// reaching `handle`. Nil (the default) accepts every method.
    static var allowedMethods: [HTTPMethod]? { get }

    /// Reads and checks a route's `options:`.
    ///
    /// Report problems through `options` (its readers do that themselves); every key the
    /// module reads counts as known, and the keys it never reads are reported as unknown.
    /// Return defaults for values that were missing or wrong: when any error was reported,
    /// the configuration is discarded and the config does not load.
    /// - Important: runs during `check`, so it must have no side effects: open files,
    ///   connect to databases and start work in `init(configuration:setup:)`.
    static func configure(_ options: inout ModuleOptions) -> Configuration

    /// Creates the instance that serves one route, from options that passed `configure`.
    /// - Throws: when the module cannot start (a file it needs is missing, say); the
    ///   generation then fails to start with the error, and a restart is rolled back.
    init(configuration: Configuration, setup: ModuleSetup) throws

    /// Answers one request.
    /// - Throws: any error; the client gets a 500 and the error is logged.
    func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse
}

extension HandlerModule {
    /// Every method, unless a module says otherwise.
    public static var allowedMethods: [HTTPMethod]? { nil }
}

extension HandlerModule where Configuration == Void {
    /// A module without options: any key under `options:` is an error.
    public static func configure(_ options: inout ModuleOptions) {}
}
