import Logging
import ServiceLifecycle
import Synchronization
import Testing
import ZeroDT

@Suite(.serialized) struct AppServiceTests {
    /// A server without sockets that records what the runtime asked of it.
    private final class RecordingServer: RestartableServer {
        private let calls = Mutex<[String]>([])

        var recorded: [String] { calls.withLock { $0 } }
        let shutdownDelay: Duration = .zero

        func start() async throws { calls.withLock { $0.append("start") } }
        func startAccepting() { calls.withLock { $0.append("startAccepting") } }
        func stopAccepting() async { calls.withLock { $0.append("stopAccepting") } }
        func drain() async { calls.withLock { $0.append("drain") } }
        func resumeAccepting() async throws { calls.withLock { $0.append("resumeAccepting") } }
    }

    @Test func aServiceGroupsGracefulShutdownDrainsTheApp() async throws {
        let server = RecordingServer()
        let app = App(servers: [App.Server(listen: [Endpoint]()) { _ in server }])
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Wait until the app serves, then shut the group down gracefully. Generously:
            // integration tests beside this one block cooperative threads for seconds.
            let deadline = ContinuousClock.now + .seconds(60)
            while !server.recorded.contains("startAccepting") && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        #expect(server.recorded == ["start", "startAccepting", "stopAccepting", "drain"])
    }

    @Test func shutdownBeforeRunStopsAsSoonAsItServes() async throws {
        let server = RecordingServer()
        let app = App(servers: [App.Server(listen: [Endpoint]()) { _ in server }])
        app.shutdown()
        try await app.run()
        #expect(server.recorded == ["start", "startAccepting", "stopAccepting", "drain"])
    }

    private typealias Endpoint = App.Endpoint
}

