#if canImport(Glibc)
import Glibc
#endif

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

    /// Waits until the parent says `message` (or a later stage) or its end of the channel
    /// closes.
    /// - Returns: false when `timeout` passed first.
    func wait(for message: ControlMessage, timeout: Duration?) async -> Bool {
        let stages: [ControlMessage] = message == .acceptingStopped ? [.acceptingStopped, .shutdownComplete] : [message]
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { [channel] in
                for await received in channel.messages where stages.contains(received) { return true }
                return true
            }
            if let timeout {
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return false
                }
            }
            let finished = await group.next() ?? true
            group.cancelAll()
            return finished
        }
    }
}
