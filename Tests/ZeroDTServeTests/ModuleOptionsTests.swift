import Testing
@testable import ZeroDTServe

/// Option validation of handler modules, through the config loader, with exact positions.
struct ModuleOptionsTests {
    /// A module with one option of each kind, and a required one.
    struct Sample: HandlerModule {
        static let name = "sample"
        static func configure(_ options: inout ModuleOptions) -> Int {
            _ = options.string("label", required: true)
            _ = options.boolean("loud")
            _ = options.duration("delay")
            _ = options.size("limit")
            _ = options.choice("format", as: EchoModule.Format.self)
            if let count = options.integer("count", in: 1...10), count == 7, let node = options.node("count") {
                options.error("seven is unlucky", at: node.location)
            }
            return 0
        }
        init(configuration: Int, setup: ModuleSetup) {}
        func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse {
            ModuleResponse()
        }
    }

    static let registry = ModuleRegistry([Sample.self, HealthModule.self])

    static func routes(_ routes: String) -> String {
        """
        servers:
          - name: a
            listen: [":80"]
            routes:
        \(routes)
        """
    }

    @Test func everyKindOfBadValueIsReportedWhereItIs() {
        let found = diagnostics(loading: Self.routes("""
                  - path: /
                    handler: sample
                    options:
                      label: [x]
                      loud: maybe
                      delay: 10
                      limit: lots
                      format: jsn
                      count: 11
                      colour: red
            """), modules: Self.registry)
        #expect(found == [
            "8:18: 'label' must be a string, found a list",
            "9:17: 'loud' must be true or false, found 'maybe'",
            "10:18: 'delay' must be a duration such as 250ms, 10s or 1m30s, found '10'",
            "note: add a unit, as in '10s' or '10ms'",
            "11:18: 'limit' must be a size such as 512, 16KiB or 1MiB, found 'lots'",
            "12:19: 'format' must be one of json, text, found 'jsn'",
            "note: did you mean 'json'?",
            "13:18: 'count' must be between 1 and 10, found 11",
            "14:11: unknown option 'colour' for module 'sample'",
            "note: options of module 'sample': label, loud, delay, limit, format, count",
        ])
    }

    @Test func missingRequiredOptionPointsAtTheHandler() {
        let found = diagnostics(loading: Self.routes("""
                  - path: /
                    handler: sample
                  - path: /b
                    handler: sample
                    options: { loud: true, cont: 7 }
            """), modules: Self.registry)
        #expect(found == [
            "6:18: module 'sample' needs option 'label'",
            "9:18: module 'sample' needs option 'label'",
            "9:32: unknown option 'cont' for module 'sample'",
            "note: did you mean 'count'?",
        ])
    }

    /// The misspelt option is the cause; "needs option" would only repeat it, and first.
    /// Beside an option like none of the module's, "needs option" comes after it.
    @Test func aMisspeltRequiredOptionIsReportedOnceAsTheCause() {
        let found = diagnostics(loading: Self.routes("""
                  - path: /
                    handler: sample
                    options: { labl: x }
                  - path: /b
                    handler: sample
                    options: { title: x }
            """), modules: Self.registry)
        #expect(found == [
            "7:20: unknown option 'labl' for module 'sample'",
            "note: did you mean 'label'?",
            "10:20: unknown option 'title' for module 'sample'",
            "note: options of module 'sample': label, loud, delay, limit, format, count",
            "10:18: module 'sample' needs option 'label'",
        ])
    }

    @Test func moduleErrorsAndNonMappingOptions() {
        let found = diagnostics(loading: Self.routes("""
                  - path: /
                    handler: sample
                    options: { label: x, count: 7 }
                  - path: /h
                    handler: health
                    options: [1]
                  - path: /i
                    handler: health
                    options: { verbose: true }
            """), modules: Self.registry)
        #expect(found == [
            "7:37: seven is unlucky",
            "10:18: 'options' of module 'health' must be a mapping, found a list",
            "13:20: unknown option 'verbose' for module 'health'",
            "note: module 'health' takes no options",
        ])
    }

    @Test func validOptionsLoad() throws {
        let site = try #require(loadValid(Self.routes("""
                  - path: /
                    handler: sample
                    options: { label: hi, loud: yes, delay: 250ms, limit: 1KiB, format: text, count: 3 }
                  - path: /h
                    handler: health
                    options: ~
            """), baseDirectory: "/", modules: Self.registry))
        #expect(site.routes.count == 2)
    }
}

/// The registry: built-in names, user modules, replacement, validator-only entries.
struct ModuleRegistryTests {
    @Test func builtInModules() {
        #expect(ModuleRegistry.builtIn.names == ["echo", "health", "metrics", "status"])
        #expect(ModuleRegistry().names.isEmpty)
        #expect(ZeroDTServe.modules.names == ["echo", "health", "metrics", "status"])
    }

    @Test func laterModuleReplacesEarlierOfTheSameName() {
        struct MyEcho: HandlerModule {
            typealias Configuration = Void
            static let name = "echo"
            init(configuration: Void, setup: ModuleSetup) {}
            func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse {
                ModuleResponse(text: "mine")
            }
        }
        var registry = ModuleRegistry.builtIn
        registry.register(MyEcho.self)
        #expect(registry.names == ["echo", "health", "metrics", "status"])
        #expect(registry.module(named: "echo") == MyEcho.self)
        // MyEcho takes no options, the built-in one did.
        #expect(registry.validate(module: "echo", options: nil) == [])
        #expect(registry.validate(module: "nope", options: nil) == nil)
    }

    @Test func validatorOnlyEntryChecksButCannotServe() throws {
        var registry = ModuleRegistry()
        registry.register("legacy") { _ in [] }
        #expect(registry.validate(module: "legacy", options: nil) == [])
        #expect(registry.module(named: "legacy") == nil)
        let setup = ModuleSetup(serverName: "s", routePath: "/", logger: Logger(label: "test"),
                                state: ServeState(generation: 1))
        #expect(throws: ModuleStartError.self) {
            try registry.makeHandler(HandlerConfig(name: "legacy", options: nil), setup: setup)
        }
    }

    @Test func unknownModuleIsAConfigError() {
        let found = diagnostics(loading: """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - { path: /, handler: statsu }
            """, modules: .builtIn)
        #expect(found == ["5:29: unknown handler module 'statsu'", "note: did you mean 'status'?"])
    }
}
