import Logging
import NIOConcurrencyHelpers
import Testing
@testable import ZeroDT

/// The driver carrying out the machine's actions in a fake world: no processes, no files,
/// no systemd; the test plays the successor.
@Suite struct RestartDriverTests {
    struct Harness {
        let environment = FakeRuntimeEnvironment()
        let server = FakeServer()
        let log = LogRecorder()
        let inputs: AsyncStream<RestartDriver.Input>
        let continuation: AsyncStream<RestartDriver.Input>.Continuation

        init() {
            (inputs, continuation) = AsyncStream.makeStream(of: RestartDriver.Input.self)
        }

        /// Runs generation 1 until it ends.
        func run(handOverState: Runtime.HandOverState? = nil) -> Task<RestartStateMachine.Ending, Never> {
            let parts = RestartDriver.Parts(
                environment: environment, servers: [server], hooks: Runtime.Hooks(), predecessor: nil, adopted: [],
                unixPaths: [], listeners: nil, control: nil,
                stageReached: { _ in }, logger: Logger(label: "test") { [log] _ in log }, handOverState: handOverState)
            var driver = RestartDriver(parts: parts, configuration: .init(
                generation: 1, pid: 10, stateful: false, predecessorPID: nil, waitChild: .seconds(60),
                turnTimeout: .seconds(10)))
            let (inputs, continuation) = (inputs, continuation)
            return Task { await driver.run(inputs: inputs, continuation: continuation) { _ in } }
        }

        func send(_ event: RestartStateMachine.Event) {
            continuation.yield(.event(event))
        }

        /// How long a wait may take: far beyond what these need, because the integration
        /// tests that run beside them block cooperative threads for seconds at a time.
        static let patience: Duration = .seconds(60)

        /// Waits (at most `patience`) until `condition` holds.
        func until(_ what: String, _ condition: () -> Bool) async throws {
            let deadline = ContinuousClock.now + Self.patience
            while !condition() {
                guard ContinuousClock.now < deadline else {
                    throw Timeout(description: "\(what) did not happen; log:\n\(log.recorded.joined(separator: "\n"))")
                }
                try await Task.sleep(for: .milliseconds(5))
            }
        }

        /// Asks for a restart, has its successor report ready, and waits until this
        /// generation drains.
        func restartUntilDraining() async throws -> FakeSuccessor {
            send(.restartRequested(.signal))
            try await until("a successor") { environment.successors.count == 1 }
            let successor = environment.successors[0]
            successor.say(.ready(pid: successor.pid, generation: 2, adopted: [0], unixPaths: [],
                                 version: ControlMessage.currentVersion))
            try await until("the hand-over's drain") { server.calls.contains("drain") }
            return successor
        }

        /// Stops and expects a clean end.
        func stop(_ run: Task<RestartStateMachine.Ending, Never>) async throws {
            let drains = server.calls.filter { $0 == "drain" }.count
            send(.stopRequested(bySignal: false))
            try await until("the stop's drain") { server.calls.filter { $0 == "drain" }.count > drains }
            server.finishDrains()
            #expect(try await ending(of: run) == .stopped)
        }

        /// How `run` ended, waiting at most `patience`.
        func ending(of run: Task<RestartStateMachine.Ending, Never>) async throws -> RestartStateMachine.Ending {
            try await withThrowingTaskGroup(of: RestartStateMachine.Ending.self) { group in
                group.addTask { await run.value }
                group.addTask {
                    try await Task.sleep(for: Self.patience)
                    throw Timeout(description: "the driver did not end within \(Self.patience)")
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        }
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    @Test func aFailedPIDFileWriteIsLoggedAndTriedAgainAtTheNextChange() async throws {
        let world = Harness()
        world.environment.failPIDFileWrites(1)
        let run = world.run()
        try await world.until("the error is logged") {
            world.log.recorded.contains { $0.hasPrefix("error cannot write pid file") }
        }
        #expect(world.environment.pidFileWrites == 1)
        world.send(.restartRequested(.signal))
        try await world.until("a second write") { world.environment.pidFileWrites == 2 }
        try await world.stop(run)
    }

    @Test func theHandOverStateGoesWithBothStagesAsItIsThen() async throws {
        let world = Harness()
        let snapshots = NIOLockedValueBox<UInt8>(0)
        let run = world.run(handOverState: Runtime.HandOverState(
            snapshot: { snapshots.withLockedValue { taken in
                taken += 1
                return [taken]
            } },
            receive: { _ in Issue.record("generation 1 has no predecessor") }))
        let successor = try await world.restartUntilDraining()
        #expect(successor.stages == [.acceptingStopped] && successor.carried == [[1]])
        successor.say(.tookOver(pid: successor.pid))
        world.server.finishDrains()
        try await world.until("the end of the drain told") { successor.stages.count == 2 }
        #expect(successor.stages == [.acceptingStopped, .shutdownComplete] && successor.carried == [[1], [2]])
        successor.die(status: 0)
        _ = try await world.ending(of: run)
    }

    @Test func aSuccessorThatDiesAfterReadyGivesTheServiceBack() async throws {
        let world = Harness()
        let run = world.run()
        let successor = try await world.restartUntilDraining()
        #expect(successor.stages == [.acceptingStopped])
        successor.die()
        try await world.until("accepting again") { world.server.calls.contains("resumeAccepting") }
        #expect(world.environment.notifications.contains {
            if case .tookBack = $0 { true } else { false }
        })
        #expect(world.log.recorded.contains { $0.contains("exited after it was ready") && $0.contains("serving again") })
        #expect(world.environment.pidFileWrites == 2, "the pid file names generation 1 again")
        // A supervisor learns who serves: generation 1 at its start, its successor at the
        // hand-over, and generation 1 again once it took back.
        #expect(world.environment.supervisorNews == [.serving, .handingOver(successor: 1000), .serving])
        // The abandoned drain ends later and changes nothing; a stop still works.
        world.server.finishDrains()
        try await world.stop(run)
        #expect(world.environment.supervisorNews.suffix(2) == [.stopping, .exiting(status: 0)])
    }

    @Test func aSecondStopSignalEndsTheDrainAndReturnsInsteadOfExiting() async throws {
        let world = Harness()
        let run = world.run()
        world.send(.stopRequested(bySignal: true))
        try await world.until("the drain") { world.server.calls.contains("drain") }
        world.send(.stopRequested(bySignal: true))
        #expect(try await world.ending(of: run) == .interrupted)
        #expect(world.server.calls.contains("drain cut short"))
    }
}
