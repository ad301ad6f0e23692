import NIOCore
import NIOHTTP2
import Testing
@testable import ZeroDTHTTP

/// When an HTTP/2 connection closes, with made-up instants: idle and preface deadlines, and
/// the two-phase GOAWAY of a drain.
@Suite struct HTTP2ConnectionStateMachineTests {
    private static let configuration: HTTPServerConfiguration = {
        var configuration = HTTPServerConfiguration()
        configuration.readHeaderTimeout = .seconds(1)
        configuration.idleTimeout = .seconds(5)
        configuration.drainGrace = .milliseconds(500)
        return configuration
    }()

    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func at(_ offset: TimeAmount) -> NIODeadline { start + offset }

    private func machine() -> HTTP2ConnectionStateMachine {
        HTTP2ConnectionStateMachine(configuration: Self.configuration, now: start)
    }

    @Test func aConnectionThatOpensNoStreamClosesAtReadHeader() {
        var machine = machine()
        #expect(machine.nextDeadline == at(.seconds(1)))
        #expect(machine.timerFired(now: at(.milliseconds(999))) == .none)
        #expect(machine.timerFired(now: at(.seconds(1))) == .sendFinalGoAwayAndClose(lastStreamID: 0))
        #expect(machine.nextDeadline == nil)
    }

    @Test func aConnectionWithoutOpenStreamsClosesWhenIdle() {
        var machine = machine()
        machine.streamCreated(1)
        #expect(machine.nextDeadline == nil)
        #expect(machine.streamClosed(1, now: at(.seconds(2))) == .none)
        #expect(machine.nextDeadline == at(.seconds(7)))
        machine.streamCreated(3)
        #expect(machine.nextDeadline == nil)
        #expect(machine.streamClosed(3, now: at(.seconds(3))) == .none)
        #expect(machine.timerFired(now: at(.seconds(8))) == .sendFinalGoAwayAndClose(lastStreamID: 3))
    }

    @Test func aDrainAnnouncesThenNamesTheLastStreamOnThePingAnswerAndClosesAfterIt() {
        var machine = machine()
        machine.streamCreated(1)
        #expect(machine.drainStarted(now: start) == .announceDrain)
        #expect(machine.drainStarted(now: start) == .none)
        // Streams the client sent before it read the first GOAWAY still arrive.
        machine.streamCreated(3)
        #expect(machine.pingAcknowledged(HTTP2PingData(withInteger: 7)) == .none)
        #expect(machine.pingAcknowledged(HTTP2ConnectionStateMachine.drainPing)
            == .sendFinalGoAway(lastStreamID: 3))
        #expect(machine.streamClosed(1, now: at(.seconds(1))) == .none)
        #expect(machine.streamClosed(1, now: at(.seconds(1))) == .none)
        #expect(machine.streamClosed(3, now: at(.seconds(1))) == .close)
    }

    @Test func aClientThatNeverAnswersThePingGetsTheFinalGoAwayAfterTheDrainGrace() {
        var machine = machine()
        machine.streamCreated(5)
        #expect(machine.drainStarted(now: start) == .announceDrain)
        #expect(machine.nextDeadline == at(.milliseconds(500)))
        #expect(machine.timerFired(now: at(.milliseconds(500))) == .sendFinalGoAway(lastStreamID: 5))
        #expect(machine.nextDeadline == nil)
        #expect(machine.streamClosed(5, now: at(.seconds(1))) == .close)
    }

    @Test func anIdleConnectionDrainsWithoutWaitingForItsIdleDeadline() {
        var machine = machine()
        machine.streamCreated(1)
        #expect(machine.streamClosed(1, now: start) == .none)
        #expect(machine.drainStarted(now: start) == .announceDrain)
        #expect(machine.pingAcknowledged(HTTP2ConnectionStateMachine.drainPing)
            == .sendFinalGoAwayAndClose(lastStreamID: 1))
        #expect(machine.pingAcknowledged(HTTP2ConnectionStateMachine.drainPing) == .none)
    }

    @Test func aFreshConnectionAnnouncesTheDrainAfterTheReadThatBringsItsFirstStreams() {
        var machine = machine()
        #expect(machine.drainStarted(now: start) == .none)
        #expect(machine.readComplete(now: start) == .none)
        machine.streamCreated(1)
        machine.streamCreated(3)
        #expect(machine.readComplete(now: at(.milliseconds(10))) == .announceDrain)
        #expect(machine.nextDeadline == at(.milliseconds(510)))
    }

    @Test func aFreshConnectionThatSendsNothingIsAnnouncedAfterTheGraceAndClosedAfterTheNext() {
        var machine = machine()
        #expect(machine.drainStarted(now: start) == .none)
        #expect(machine.nextDeadline == at(.milliseconds(500)))
        #expect(machine.timerFired(now: at(.milliseconds(500))) == .announceDrain)
        #expect(machine.timerFired(now: at(.seconds(1))) == .sendFinalGoAwayAndClose(lastStreamID: 0))
    }
}
