import ZeroDTServe

// zerodt-serve plus modules that misbehave on purpose, for the integration tests of the
// module adapter: one throws, one is slow, one streams its body, one sets a bad header.

struct FixtureError: Error, CustomStringConvertible {
    var description: String { "the fail module always fails" }
}

/// `handler: fail`: throws on every request.
struct FailModule: HandlerModule {
    typealias Configuration = Void
    static let name = "fail"
    init(configuration: Void, setup: ModuleSetup) {}
    func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse {
        throw FixtureError()
    }
}

/// `handler: sleep`: answers after `options.delay` (default 2s), without blocking a thread.
struct SleepModule: HandlerModule {
    static let name = "sleep"
    let delay: Duration
    static func configure(_ options: inout ModuleOptions) -> Duration {
        options.duration("delay") ?? .seconds(2)
    }
    init(configuration: Duration, setup: ModuleSetup) { delay = configuration }
    func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse {
        try await Task.sleep(for: delay)
        return ModuleResponse(text: "slept\n")
    }
}

/// `handler: stream`: writes its body in `options.parts` pieces (default 3).
struct StreamModule: HandlerModule {
    static let name = "stream"
    let parts: Int
    static func configure(_ options: inout ModuleOptions) -> Int {
        options.integer("parts", in: 1...1000) ?? 3
    }
    init(configuration: Int, setup: ModuleSetup) { parts = configuration }
    func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse {
        let parts = self.parts
        return ModuleResponse(headers: ["Content-Type": "text/plain"], body: .stream { writer in
            for part in 1...parts { try await writer.write("part \(part)\n") }
        })
    }
}

/// `handler: header`: answers with a header whose value would split the response.
struct HeaderModule: HandlerModule {
    typealias Configuration = Void
    static let name = "header"
    init(configuration: Void, setup: ModuleSetup) {}
    func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse {
        ModuleResponse(headers: ["X-Injected": "a\r\nSet-Cookie: x=1"], text: "injected\n")
    }
}

await ZeroDTServe.main(modules: [FailModule.self, SleepModule.self, StreamModule.self, HeaderModule.self])
