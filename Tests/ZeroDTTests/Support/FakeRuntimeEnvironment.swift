import Logging
import NIOConcurrencyHelpers
@testable import ZeroDT

/// A `RuntimeEnvironment` without processes, files or systemd: it records what the driver
/// did, and hands each successor it "spawns" to the test, which plays its part.
final class FakeRuntimeEnvironment: RuntimeEnvironment {
    private struct State {
        var successors: [FakeSuccessor] = []
        var notifications: [RestartStateMachine.Notification] = []
        var supervisorNews: [SupervisorNews] = []
        var pidFileWrites = 0
        var failingPIDFileWrites = 0
    }

    private let state = NIOLockedValueBox(State())

    var successors: [FakeSuccessor] { state.withLockedValue { $0.successors } }
    var notifications: [RestartStateMachine.Notification] { state.withLockedValue { $0.notifications } }
    var pidFileWrites: Int { state.withLockedValue { $0.pidFileWrites } }
    /// What the driver told the supervisor, in order.
    var supervisorNews: [SupervisorNews] { state.withLockedValue { $0.supervisorNews } }

    /// The next `count` pid-file writes fail, as in a full directory.
    func failPIDFileWrites(_ count: Int) {
        state.withLockedValue { $0.failingPIDFileWrites = count }
    }

    func launchSuccessor(generation: Int) async throws -> any SuccessorProcess {
        state.withLockedValue { state in
            let successor = FakeSuccessor(pid: Int32(1000 + state.successors.count))
            state.successors.append(successor)
            return successor
        }
    }

    struct DirectoryFull: Error, CustomStringConvertible {
        var description: String { "cannot write pid file 'run.pid': No space left on device" }
    }

    func writePIDFile() throws {
        try state.withLockedValue { state in
            state.pidFileWrites += 1
            if state.failingPIDFileWrites > 0 {
                state.failingPIDFileWrites -= 1
                throw DirectoryFull()
            }
        }
    }

    func notify(_ notification: RestartStateMachine.Notification) {
        state.withLockedValue { $0.notifications.append(notification) }
    }

    func tellSupervisor(_ news: SupervisorNews) throws {
        state.withLockedValue { $0.supervisorNews.append(news) }
    }

    func sleep(for duration: Duration) async throws {
        // Timers never fire by themselves here: the tests decide what happens.
        try await Task.sleep(for: .seconds(3600))
    }
}

/// A successor the test drives: it reports, exits, and records what it was told.
final class FakeSuccessor: SuccessorProcess {
    let pid: Int32
    let messages: AsyncStream<ControlMessage>
    private let continuation: AsyncStream<ControlMessage>.Continuation
    private let exit = OnceContinuation<ProcessStatus?>()
    private let state = NIOLockedValueBox((exited: false, killed: false, stages: [RestartStateMachine.Stage](),
                                           carried: [[UInt8]?]()))

    init(pid: Int32) {
        self.pid = pid
        (messages, continuation) = AsyncStream.makeStream(of: ControlMessage.self)
    }

    var wasKilled: Bool { state.withLockedValue { $0.killed } }
    var stages: [RestartStateMachine.Stage] { state.withLockedValue { $0.stages } }
    /// The hand-over state sent with each stage.
    var carried: [[UInt8]?] { state.withLockedValue { $0.carried } }

    func say(_ message: ControlMessage) {
        continuation.yield(message)
    }

    /// It dies: its control channel closes, then it can be reaped.
    func die(status: Int32 = 9) {
        state.withLockedValue { $0.exited = true }
        continuation.finish()
        exit.resume(ProcessStatus(raw: status))
    }

    func waitForExit() async -> ProcessStatus? {
        await exit.wait()
    }

    var hasExited: Bool { state.withLockedValue { $0.exited } }

    func kill() {
        state.withLockedValue { $0.killed = true }
        die()
    }

    func send(_ stage: RestartStateMachine.Stage, state carried: [UInt8]?) async {
        state.withLockedValue {
            $0.stages.append(stage)
            $0.carried.append(carried)
        }
    }

    func forwardRestart() {}

    func requestStop() async {}
}

/// A server without sockets that records what the runtime asked of it; each drain lasts
/// until the test ends it, or until it is cancelled.
final class FakeServer: RestartableServer {
    private let state = NIOLockedValueBox((calls: [String](), drains: [OnceContinuation<Void>]()))

    var calls: [String] { state.withLockedValue { $0.calls } }
    let shutdownDelay: Duration = .zero

    private func record(_ call: String) {
        state.withLockedValue { $0.calls.append(call) }
    }

    func start() async throws { record("start") }
    func startAccepting() { record("startAccepting") }
    func stopAccepting() async { record("stopAccepting") }
    func resumeAccepting() async throws { record("resumeAccepting") }

    func drain() async {
        let end = OnceContinuation<Void>()
        state.withLockedValue { state in
            state.calls.append("drain")
            state.drains.append(end)
        }
        await withTaskCancellationHandler {
            await end.wait()
        } onCancel: {
            end.resume(())
        }
        record(Task.isCancelled ? "drain cut short" : "drained")
    }

    /// Every connection of every drain under way has closed.
    func finishDrains() {
        state.withLockedValue { state in
            defer { state.drains.removeAll() }
            return state.drains
        }.forEach { $0.resume(()) }
    }
}

/// Log lines, for tests that check what was said.
struct LogRecorder: LogHandler {
    let lines = NIOLockedValueBox<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var recorded: [String] { lines.withLockedValue { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLockedValue { $0.append("\(event.level) \(event.message)") }
    }
}
