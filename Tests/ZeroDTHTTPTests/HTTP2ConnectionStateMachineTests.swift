import NIOCore
import NIOHTTP2
import Testing
@testable import ZeroDTHTTP

/// When an HTTP/2 connection closes, with made-up instants: idle and preface deadlines, and
/// the drain's probe and two GOAWAY frames.
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

    /// Starts the drain on `machine` and has the probe answered: the first GOAWAY goes out.
    private func probeAnswered(_ machine: inout HTTP2ConnectionStateMachine, now: NIODeadline) {
        #expect(machine.drainStarted(now: now) == .probeClient)
        machine.pingAcknowledged(HTTP2ConnectionStateMachine.probePing)
        #expect(machine.readComplete(now: now) == .announceDrain)
    }

    @Test func aConnectionThatOpensNoStreamClosesAtReadHeader() {
        var machine = machine()
        #expect(machine.nextDeadline == at(.seconds(1)))
        #expect(machine.timerFired(now: at(.milliseconds(999))) == .none)
        #expect(machine.timerFired(now: at(.seconds(1))) == .sendFinalGoAway(lastStreamID: 0))
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
        #expect(machine.timerFired(now: at(.seconds(8))) == .sendFinalGoAway(lastStreamID: 3))
    }

    @Test func aDrainProbesFirstAndAnnouncesOnceTheProbeIsAnswered() {
        var machine = machine()
        machine.streamCreated(1)
        #expect(machine.drainStarted(now: start) == .probeClient)
        #expect(machine.drainStarted(now: start) == .none)
        #expect(machine.nextDeadline == at(.milliseconds(500)))
        // Only the probe's own answer counts, and at the end of the read that brought it.
        machine.pingAcknowledged(HTTP2ConnectionStateMachine.drainPing)
        #expect(machine.readComplete(now: start) == .none)
        machine.pingAcknowledged(HTTP2ConnectionStateMachine.probePing)
        #expect(machine.nextDeadline == nil)
        #expect(machine.readComplete(now: at(.milliseconds(10))) == .announceDrain)
        #expect(machine.nextDeadline == at(.milliseconds(510)))
        #expect(machine.streamClosed(1, now: at(.milliseconds(20))) == .none)
    }

    @Test func aProbeNobodyAnswersAnnouncesAfterTheDrainGrace() {
        var machine = machine()
        machine.streamCreated(1)
        #expect(machine.drainStarted(now: start) == .probeClient)
        #expect(machine.timerFired(now: at(.milliseconds(499))) == .none)
        #expect(machine.timerFired(now: at(.milliseconds(500))) == .announceDrain)
    }

    @Test func aProbeThatHeldTooMuchAnnouncesAtOnce() {
        var machine = machine()
        machine.streamCreated(1)
        #expect(machine.drainStarted(now: start) == .probeClient)
        #expect(machine.probeEndedEarly(now: at(.milliseconds(5))) == .announceDrain)
        #expect(machine.nextDeadline == at(.milliseconds(505)))
        #expect(machine.probeEndedEarly(now: at(.milliseconds(6))) == .none)
    }

    @Test func aDrainAnnouncesThenClosesWithTheLastStreamOnceAnsweredAndDone() {
        var machine = machine()
        machine.streamCreated(1)
        probeAnswered(&machine, now: start)
        #expect(machine.drainStarted(now: start) == .none)
        machine.pingAcknowledged(HTTP2PingData(withInteger: 7))
        #expect(machine.readComplete(now: start) == .none)
        machine.pingAcknowledged(HTTP2ConnectionStateMachine.drainPing)
        // Acted on at the end of the read that brought the answer.
        #expect(machine.readComplete(now: start) == .none)
        #expect(machine.nextDeadline == nil)
        #expect(machine.streamClosed(1, now: at(.seconds(1))) == .sendFinalGoAway(lastStreamID: 1))
    }

    /// The final GOAWAY goes with a PING: the connection closes once that is answered, at the
    /// end of the read that brought the answer, and on no other PING's answer.
    @Test func theFinalGoAwaysPingAnsweredCloses() {
        var machine = machine()
        machine.streamCreated(1)
        #expect(machine.streamClosed(1, now: start) == .none)
        #expect(machine.timerFired(now: at(.seconds(5))) == .sendFinalGoAway(lastStreamID: 1))
        #expect(machine.nextDeadline == nil, "the handler bounds the wait")
        #expect(machine.drainStarted(now: at(.seconds(6))) == .none)
        machine.pingAcknowledged(HTTP2ConnectionStateMachine.drainPing)
        #expect(machine.readComplete(now: at(.seconds(6))) == .none)
        machine.pingAcknowledged(HTTP2ConnectionStateMachine.finalPing)
        #expect(machine.readComplete(now: at(.seconds(6))) == .close)
        #expect(machine.readComplete(now: at(.seconds(6))) == .none)
    }

    @Test func streamsThatEndBeforeTheAnswerWaitForIt() {
        var machine = machine()
        machine.streamCreated(1)
        probeAnswered(&machine, now: start)
        #expect(machine.streamClosed(1, now: start) == .none)
        machine.pingAcknowledged(HTTP2ConnectionStateMachine.drainPing)
        #expect(machine.readComplete(now: start) == .sendFinalGoAway(lastStreamID: 1))
    }

    @Test func aClientThatNeverAnswersThePingIsGivenTheDrainGrace() {
        var machine = machine()
        machine.streamCreated(5)
        probeAnswered(&machine, now: start)
        #expect(machine.nextDeadline == at(.milliseconds(500)))
        #expect(machine.timerFired(now: at(.milliseconds(500))) == .none)
        #expect(machine.nextDeadline == nil)
        #expect(machine.streamClosed(5, now: at(.seconds(1))) == .sendFinalGoAway(lastStreamID: 5))
    }

    @Test func aStreamReportedClosedTwiceCountsOnce() {
        var machine = machine()
        machine.streamCreated(1)
        machine.streamCreated(3)
        probeAnswered(&machine, now: start)
        #expect(machine.timerFired(now: at(.milliseconds(500))) == .none)
        #expect(machine.streamClosed(1, now: start) == .none)
        #expect(machine.streamClosed(1, now: start) == .none)
        #expect(machine.streamClosed(3, now: start) == .sendFinalGoAway(lastStreamID: 3))
    }

    @Test func aFreshConnectionProbesAfterTheReadThatBringsItsFirstStreams() {
        var machine = machine()
        #expect(machine.drainStarted(now: start) == .none)
        #expect(machine.readComplete(now: start) == .none)
        machine.streamCreated(1)
        machine.streamCreated(3)
        #expect(machine.readComplete(now: at(.milliseconds(10))) == .probeClient)
        #expect(machine.nextDeadline == at(.milliseconds(510)))
    }

    /// Nothing was answered, so there is nothing to probe for.
    @Test func aFreshConnectionThatSendsNothingIsAnnouncedAfterTheGraceAndClosedAfterTheNext() {
        var machine = machine()
        #expect(machine.drainStarted(now: start) == .none)
        #expect(machine.nextDeadline == at(.milliseconds(500)))
        #expect(machine.timerFired(now: at(.milliseconds(500))) == .announceDrain)
        #expect(machine.timerFired(now: at(.seconds(1))) == .sendFinalGoAway(lastStreamID: 0))
    }
}
