#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import ZeroDT

/// The order of the supervisor's inputs, on a real socket pair: a signal never overtakes a
/// message a generation sent before it.
@Suite(.timeLimit(.minutes(1))) struct SupervisorInboxTests {
    /// The supervisor's end (`supervisor`, attached to a new inbox) and a generation's.
    struct Channel {
        let inbox: SupervisorInbox
        let inputs: AsyncStream<Supervisor.Input>
        let supervisor: Int32
        let generation: Int32

        init() throws {
            var pair: [Int32] = [-1, -1]
            try #require(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0)
            (supervisor, generation) = (pair[0], pair[1])
            let (inputs, continuation) = AsyncStream.makeStream(of: Supervisor.Input.self)
            self.inputs = inputs
            inbox = SupervisorInbox(continuation: continuation)
            inbox.attach(supervisor)
        }

        func send(_ kind: SupervisorMessage.Kind, pid: Int32, successor: Int32? = nil) throws {
            try SupervisorMessage(kind: kind, pid: pid, generation: 1, successor: successor).send(on: generation)
        }

        /// The next `count` inputs, each as a line.
        func next(_ count: Int) async -> [String] {
            var lines: [String] = []
            for await input in inputs {
                switch input {
                case .message(let message, _): lines.append("\(message.kind) from \(message.pid)")
                case .event(let event): lines.append("\(event)")
                case .garbled(let why): lines.append("garbled: \(why)")
                case .timerFired(let timer, _): lines.append("timer \(timer)")
                }
                if lines.count == count { break }
            }
            return lines
        }
    }

    static let restart = Supervisor.Input.event(.signal(.restart(SIGHUP)))
    static let restartLine = "signal(ZeroDT.SupervisorStateMachine.Signal.restart(1))"

    @Test func aSignalComesAfterEveryMessageSentBeforeItEvenIfTheReaderLags() async throws {
        let channel = try Channel()
        defer { Posix.close(channel.supervisor); Posix.close(channel.generation) }
        // No reader runs: the generation handed over, then a SIGHUP came.
        try channel.send(.handingOver, pid: 100, successor: 200)
        try channel.send(.exiting, pid: 100)
        channel.inbox.yieldAfterWaitingMessages(Self.restart)
        #expect(await channel.next(3) == ["handingOver from 100", "exiting from 100", Self.restartLine])
        // Nothing waiting: the signal goes at once.
        channel.inbox.yieldAfterWaitingMessages(Self.restart)
        #expect(await channel.next(1) == [Self.restartLine])
    }

    @Test func theReaderReportsEveryMessageThenTheEndOnceAndClosesTheChannel() async throws {
        let channel = try Channel()
        let reader = Thread { channel.inbox.read(channel.supervisor) }
        reader.start()
        try channel.send(.serving, pid: 100)
        try channel.send(.handingOver, pid: 100, successor: 200)
        Posix.close(channel.generation)
        #expect(await channel.next(3) == ["serving from 100", "handingOver from 100", "channelClosed"])
        // The chain is over: a signal goes at once, and nothing reads the closed channel.
        channel.inbox.yieldAfterWaitingMessages(Self.restart)
        #expect(await channel.next(1) == [Self.restartLine])
    }

    @Test func anEndASignalReadFirstIsReportedOnceAndTheReaderStillClosesTheChannel() async throws {
        let channel = try Channel()
        try channel.send(.exiting, pid: 100)
        Posix.close(channel.generation)
        channel.inbox.yieldAfterWaitingMessages(Self.restart)
        #expect(await channel.next(3) == ["exiting from 100", "channelClosed", Self.restartLine])
        // The reader, late, finds the chain over: it reports nothing more and closes its end.
        channel.inbox.read(channel.supervisor)
        #expect(fcntl(channel.supervisor, F_GETFD) == -1 && errno == EBADF)
        channel.inbox.yieldAfterWaitingMessages(Self.restart)
        #expect(await channel.next(1) == [Self.restartLine])
    }
}
