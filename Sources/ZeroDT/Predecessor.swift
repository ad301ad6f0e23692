#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// The successor's view of the generation that started it: report ready or failed, and
/// learn when it has stopped accepting and when it has finished draining (or died).
final class Predecessor: PredecessorProcess {
    let pid: pid_t
    private let channel: ControlChannel
    /// The parent's `ControlMessage` version: what it can read.
    private let version: Int

    private init(pid: pid_t, channel: ControlChannel, version: Int) {
        self.pid = pid
        self.channel = channel
        self.version = version
    }

    /// Connects to the parent over `fd` and reads its `hello`.
    /// - Returns: nil when the parent is already gone or does not speak the protocol.
    static func connect(fd: Int32) async -> Predecessor? {
        guard let channel = try? await ControlChannel.adopt(fd: fd) else { return nil }
        guard let hello = try? await channel.hello.get() else {
            await channel.close()
            return nil
        }
        return Predecessor(pid: hello.parentPID, channel: channel, version: hello.version)
    }

    func reportReady(generation: Int, adopted: [Int], unixPaths: [String]) async {
        try? await channel.send(.ready(pid: getpid(), generation: generation, adopted: adopted, unixPaths: unixPaths,
                                       version: ControlMessage.currentVersion))
    }

    func reportFailed(_ failure: SuccessorFailure) async {
        try? await channel.send(.failed(pid: getpid(), reason: failure.detail, failure: failure))
        await channel.close()
    }

    func report(_ message: ControlMessage) async {
        // A parent of the first release knows none of the progress messages, and would
        // take one for a broken channel.
        guard version >= 2 else { return }
        try? await channel.send(message)
    }

    func wait(for stage: RestartStateMachine.Stage) async -> [UInt8]? {
        let reached = await outcome(of: stage == .acceptingStopped ? channel.stages.acceptingStopped.futureResult
            : channel.stages.shutdownComplete.futureResult)
        return reached ?? nil
    }

    func waitUntilExited() async {
        _ = await outcome(of: channel.stages.closed.futureResult)
    }

    var knowsStopping: Bool { version >= 2 }

    func waitForStopRequest() async -> Bool {
        await outcome(of: channel.stages.stopRequested.futureResult) != nil
    }

    /// The value `future` succeeded with; nil when it failed or the task was cancelled first.
    private func outcome<Value: Sendable>(of future: EventLoopFuture<Value>) async -> Value? {
        let waiter = OnceContinuation<Value?>()
        return await withTaskCancellationHandler {
            await waiter.wait { future.whenComplete { waiter.resume(try? $0.get()) } }
        } onCancel: {
            waiter.resume(nil)
        }
    }

    func kill() {
        _ = Glibc.kill(pid, SIGKILL)
    }
}
