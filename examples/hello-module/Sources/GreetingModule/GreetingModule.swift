import ZeroDTServe

/// `handler: greeting`: greets whoever `?name=` names and counts the greetings.
///
/// ```yaml
/// - path: /hello
///   handler: greeting
///   options:
///     greeting: Bonjour   # optional, default "Hello"
///     shout: true         # optional, default false: the greeting in capitals
/// ```
public struct GreetingModule: HandlerModule {
    /// What the options say.
    public struct Configuration: Sendable {
        var greeting = "Hello"
        var shout = false
    }

    public static let name = "greeting"
    public static let allowedMethods: [HTTPMethod]? = [.GET, .HEAD]

    /// Reads `options:`; runs during `check`, so it only reads.
    public static func configure(_ options: inout ModuleOptions) -> Configuration {
        var configuration = Configuration()
        if let greeting = options.string("greeting") { configuration.greeting = greeting }
        if let shout = options.boolean("shout") { configuration.shout = shout }
        return configuration
    }

    private let configuration: Configuration
    /// Per route and per generation: a restart starts counting afresh.
    private let counter = Counter()

    public init(configuration: Configuration, setup: ModuleSetup) {
        self.configuration = configuration
        setup.logger.info("greeting module ready on \(setup.serverName) \(setup.routePath)")
    }

    public func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse {
        let count = await counter.next()
        let name = Self.queryValue("name", in: request.query) ?? "world"
        var greeting = "\(configuration.greeting), \(name)!"
        if configuration.shout { greeting = greeting.uppercased() }
        return ModuleResponse(text: "\(greeting) (greeting #\(count) from generation \(context.generation))\n")
    }

    /// The first value of `key` in a query string, percent-decoded.
    static func queryValue(_ key: String, in query: String?) -> String? {
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == key else { continue }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }
}

/// Counts greetings; an actor, because requests run concurrently.
actor Counter {
    private var value = 0

    func next() -> Int {
        value += 1
        return value
    }
}
