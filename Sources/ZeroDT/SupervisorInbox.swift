#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers

/// Where the supervisor's inputs meet in one stream: what the generations of the running
/// chain send on its channel, and the signals the supervisor traps. A signal is yielded
/// only after every message sent before it arrived.
///
/// Why: the channel is read on a thread of its own, which on a busy machine may lag. A
/// generation that hands over says so at once (`handingOver`) and may have drained and
/// exited a few milliseconds later; a SIGHUP handled before that news would be passed to
/// it, and lost. So messages are read, and yielded, under one lock, by the reader thread
/// or by whoever yields a signal, which first reads whatever is waiting.
final class SupervisorInbox: Sendable {
    private let continuation: AsyncStream<Supervisor.Input>.Continuation
    /// The channel of the running chain (non-blocking), until its end-of-file was read.
    private let channel = NIOLockedValueBox<Int32?>(nil)

    init(continuation: AsyncStream<Supervisor.Input>.Continuation) {
        self.continuation = continuation
    }

    /// Makes `channel` (a new chain's) the one messages come from, and sets it non-blocking:
    /// it is waited on with `poll`, read only when something is waiting.
    func attach(_ channel: Int32) {
        _ = fcntl(channel, F_SETFL, fcntl(channel, F_GETFL) | O_NONBLOCK)
        self.channel.withLockedValue { $0 = channel }
    }

    /// Yields `input` (a timer's, the reaper's), whose order with the channel's messages
    /// does not matter.
    func yield(_ input: Supervisor.Input) {
        continuation.yield(input)
    }

    /// Yields `input` after every message waiting on the channel.
    func yieldAfterWaitingMessages(_ input: Supervisor.Input) {
        channel.withLockedValue { current in
            // A channel that cannot be read is left to `read`, which waits for its end.
            if let channel = current, readWaiting(channel) == .ended { current = nil }
            continuation.yield(input)
        }
    }

    /// Reads `channel`, attached before, until every generation has closed it (then yields
    /// `channelClosed`), and closes it. Blocks: run it on a thread of its own.
    func read(_ channel: Int32) {
        defer { Posix.close(channel) }
        var entry = pollfd(fd: channel, events: Int16(POLLIN), revents: 0)
        while poll(&entry, 1, -1) >= 0 || errno == EINTR {
            let outcome = self.channel.withLockedValue { current -> Outcome in
                // Its end-of-file was read before a signal.
                guard current == channel else { return .ended }
                let outcome = readWaiting(channel)
                if outcome != .drained { current = nil }
                return outcome
            }
            if outcome == .ended { return }
            if outcome == .broken { break }
        }
        // Not the end of the chain: that is the hang-up, which is waited for.
        waitForHangUp(channel)
        continuation.yield(.event(.channelClosed))
    }

    private enum Outcome {
        /// Nothing more is waiting.
        case drained
        /// End-of-file: every generation of the chain has exited.
        case ended
        /// The channel cannot be read.
        case broken
    }

    /// Yields every message waiting on `channel` (the lock held).
    private func readWaiting(_ channel: Int32) -> Outcome {
        while true {
            switch SupervisorMessage.receive(from: channel) {
            case .message(let message, let fds):
                continuation.yield(.message(message, fds: fds))
            case .garbled(let why):
                continuation.yield(.garbled(why))
            case .failed(let error) where error.errno == EAGAIN || error.errno == EWOULDBLOCK:
                return .drained
            case .failed(let error):
                continuation.yield(.garbled("\(error)"))
                return .broken
            case .endOfFile:
                continuation.yield(.event(.channelClosed))
                return .ended
            }
        }
    }

    /// Blocks until every generation has closed its end.
    private func waitForHangUp(_ channel: Int32) {
        var entry = pollfd(fd: channel, events: 0, revents: 0)
        while poll(&entry, 1, -1) >= 0 || errno == EINTR {
            if entry.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return }
        }
    }
}
