#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore

/// The successor's view of the generation that started it: report ready or failed, and
/// learn when it has finished draining (or died).
final class Predecessor: Sendable {
    let pid: pid_t
    private let channel: ControlChannel

    private init(pid: pid_t, channel: ControlChannel) {
        self.pid = pid
        self.channel = channel
    }

    /// Connects to the parent over `fd` and reads its `hello`.
    /// - Returns: nil when the parent is already gone or does not speak the protocol.
    static func connect(fd: Int32) async -> Predecessor? {
        guard let channel = try? await ControlChannel.adopt(fd: fd) else { return nil }
        guard let hello = try? await channel.hello.get() else {
            await channel.close()
            return nil
        }
        return Predecessor(pid: hello.parentPID, channel: channel)
    }

    func reportReady(generation: Int, adopted: [Int], unixPaths: [String]) async {
        try? await channel.send(.ready(pid: getpid(), generation: generation, adopted: adopted, unixPaths: unixPaths))
    }

    func reportFailed(_ reason: String) async {
        try? await channel.send(.failed(pid: getpid(), reason: reason))
        await channel.close()
    }

    /// A point of the hand-over a successor waits for.
    enum Stage {
        /// The parent no longer accepts (stateless mode).
        case acceptingStopped
        /// The parent has drained and is about to exit (stateful mode, `preParentExit`).
        case shutdownComplete
    }

    /// Waits until the parent reaches `stage` (or its end of the channel closes).
    /// - Returns: false when `timeout` passed first; the stage can still be waited for later.
    func wait(for stage: Stage, timeout: Duration?) async -> Bool {
        let future = stage == .acceptingStopped ? channel.stages.acceptingStopped.futureResult
            : channel.stages.shutdownComplete.futureResult
        return await withCheckedContinuation { continuation in
            let resumed = NIOLockedValueBox(false)
            let resume: @Sendable (Bool) -> Void = { reached in
                let first = resumed.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: reached) }
            }
            if let timeout {
                let expiry = future.eventLoop.scheduleTask(in: TimeAmount(timeout)) { resume(false) }
                future.whenComplete { _ in expiry.cancel() }
            }
            future.whenComplete { _ in resume(true) }
        }
    }
}
