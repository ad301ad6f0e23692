import NIOCore
import Testing
@testable import ZeroDTHTTP

/// The connection rules with made-up instants: deadlines in, actions out.
@Suite struct HTTPConnectionStateMachineTests {
    private static let configuration: HTTPServerConfiguration = {
        var configuration = HTTPServerConfiguration()
        configuration.readHeaderTimeout = .seconds(1)
        configuration.idleTimeout = .seconds(5)
        configuration.writeTimeout = .seconds(3)
        configuration.drainGrace = .milliseconds(500)
        return configuration
    }()

    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func at(_ offset: TimeAmount) -> NIODeadline { start + offset }

    /// A machine that has answered one keep-alive request at `start` and flushed it.
    private func idleAfterOneResponse(_ configuration: HTTPServerConfiguration = Self.configuration)
        -> HTTPConnectionStateMachine
    {
        var machine = HTTPConnectionStateMachine(configuration: configuration, now: start)
        machine.bytesReceived(now: start)
        #expect(machine.requestHead(keepAlive: true, now: start) == false)
        machine.requestEnd()
        #expect(machine.responseIssued(now: start) == .none)
        machine.writeProgressed(now: start, responseFinished: true)
        return machine
    }

    /// A machine that has read a whole keep-alive request at `start`, not yet answered.
    private func awaitingResponse() -> HTTPConnectionStateMachine {
        var machine = HTTPConnectionStateMachine(configuration: Self.configuration, now: start)
        machine.bytesReceived(now: start)
        #expect(machine.requestHead(keepAlive: true, now: start) == false)
        machine.requestEnd()
        return machine
    }

    /// A machine answering a request at `start` whose response is still being written each
    /// second up to `seconds`, with the next request's first bytes in at 100 ms: they wait
    /// unread, as reads pause while the response is written.
    private func writingWithAHeadWaiting(until seconds: Int64) -> HTTPConnectionStateMachine {
        var machine = awaitingResponse()
        #expect(machine.responseIssued(now: start) == .none)
        machine.bytesReceived(now: at(.milliseconds(100)))
        for second: Int64 in 1...seconds {
            machine.writeProgressed(now: at(.seconds(second)), responseFinished: false)
            #expect(machine.timerFired(now: at(.seconds(second))) == .none, "second \(second)")
        }
        return machine
    }

    @Test func aRequestWaitingUnreadBehindALongResponseIsNotLateYet() {
        var machine = writingWithAHeadWaiting(until: 4)
        #expect(machine.timerFired(now: at(.seconds(7))) == .close, "the write deadline still holds")
    }

    /// Once the response is out, reads resume and the waiting head has `readHeaderTimeout`
    /// from then, not the idle timeout its deadline was pushed to while it could not be read.
    @Test func aHeadWaitingBehindALongResponseGetsReadHeaderOnceTheResponseIsOut() {
        var machine = writingWithAHeadWaiting(until: 3)
        machine.writeProgressed(now: at(.seconds(4)), responseFinished: true)
        #expect(machine.nextDeadline == at(.seconds(5)))
        #expect(machine.timerFired(now: at(.milliseconds(4999))) == .none)
        #expect(machine.timerFired(now: at(.seconds(5))) == .close)
    }

    /// The same for a pipelined request whose head was read while the previous response
    /// was being written, its body not yet: the body cannot arrive while reads pause, so
    /// its deadlines start once the writes end.
    @Test func aBodyWaitingBehindALongResponseGetsItsDeadlinesOnceTheResponseIsOut() {
        var machine = readingBody()
        machine.requestEnd()
        #expect(machine.responseIssued(now: start) == .none)
        machine.bytesReceived(now: start)
        _ = machine.requestHead(keepAlive: true, now: start)
        for second: Int64 in 1...9 {
            machine.writeProgressed(now: at(.seconds(second)), responseFinished: second == 9)
            #expect(machine.timerFired(now: at(.seconds(second))) == .none, "second \(second)")
        }
        #expect(machine.nextDeadline == at(.seconds(14)), "a stall is bounded by idle from the end of the writes")
        for second: Int64 in 10...16 {
            machine.bodyReceived(now: at(.seconds(second)))
            #expect(machine.timerFired(now: at(.seconds(second))) == .none, "second \(second)")
        }
        #expect(machine.timerFired(now: at(.seconds(17))) == .close, "the body deadline counts from the writes' end")
    }

    /// A response after which the connection closes (`Connection: close`, every HTTP/2
    /// stream) still has the write deadline: a client that stops reading does not hold it.
    @Test func aClosingResponseThatDoesNotGetOutIsClosedAtTheWriteDeadline() {
        var machine = HTTPConnectionStateMachine(configuration: Self.configuration, now: start)
        machine.bytesReceived(now: start)
        #expect(machine.requestHead(keepAlive: false, now: start) == true)
        machine.requestEnd()
        #expect(machine.responseIssued(now: start) == .closeWhenWritten)
        #expect(machine.isClosed, "no more requests")
        machine.writeProgressed(now: at(.seconds(1)), responseFinished: false)
        #expect(machine.nextDeadline == at(.seconds(4)))
        #expect(machine.timerFired(now: at(.milliseconds(3999))) == .none)
        #expect(machine.timerFired(now: at(.seconds(4))) == .close)
        #expect(machine.nextDeadline == nil)
    }

    @Test func anHTTP10BodyOfUnknownLengthClosesTheConnectionAfterIt() {
        var machine = awaitingResponse()
        machine.bodyEndsWithConnection()
        #expect(machine.closeAfterResponse)
        #expect(machine.responseIssued(now: start) == .closeWhenWritten)
    }

    /// A machine reading the body of a keep-alive request whose head came at `start`, with
    /// a `readBodyTimeout` of 8 s.
    private func readingBody() -> HTTPConnectionStateMachine {
        var configuration = Self.configuration
        configuration.readBodyTimeout = .seconds(8)
        var machine = HTTPConnectionStateMachine(configuration: configuration, now: start)
        machine.bytesReceived(now: start)
        _ = machine.requestHead(keepAlive: true, now: start)
        return machine
    }

    @Test func aBodyMustBeCompleteWithinReadBodyHoweverSteadilyItArrives() {
        var machine = readingBody()
        #expect(machine.nextDeadline == at(.seconds(5)), "a stall is bounded by idle")
        for second in 1...7 {
            machine.bodyReceived(now: at(.seconds(Int64(second))))
            #expect(machine.timerFired(now: at(.seconds(Int64(second)))) == .none)
        }
        #expect(machine.nextDeadline == at(.seconds(8)), "the body deadline comes before the next idle one")
        #expect(machine.timerFired(now: at(.seconds(8))) == .close)
    }

    @Test func newConnectionMustSendItsHeadersWithinReadHeader() {
        var machine = HTTPConnectionStateMachine(configuration: Self.configuration, now: start)
        #expect(machine.nextDeadline == at(.seconds(1)))
        #expect(machine.timerFired(now: at(.milliseconds(999))) == .none)
        #expect(machine.timerFired(now: at(.seconds(1))) == .close)
        #expect(machine.isClosed)
    }

    @Test func readHeaderClockStartsWithTheFirstByteAndIsNotExtendedByMore() {
        var machine = idleAfterOneResponse()
        #expect(machine.nextDeadline == at(.seconds(5)), "idle between requests")
        machine.bytesReceived(now: at(.seconds(2)))
        #expect(machine.nextDeadline == at(.seconds(3)))
        machine.bytesReceived(now: at(.milliseconds(2900)))
        #expect(machine.nextDeadline == at(.seconds(3)), "a trickle of bytes does not buy time")
        #expect(machine.timerFired(now: at(.milliseconds(2999))) == .none)
        #expect(machine.timerFired(now: at(.seconds(3))) == .close)
    }

    @Test func idleKeepAliveConnectionClosesAfterIdle() {
        var machine = idleAfterOneResponse()
        #expect(machine.timerFired(now: at(.milliseconds(4999))) == .none)
        #expect(!machine.isClosed)
        #expect(machine.timerFired(now: at(.seconds(5))) == .close)
        #expect(machine.isClosed)
    }

    @Test func stalledBodyIsBoundedByIdleBetweenReads() {
        var machine = HTTPConnectionStateMachine(configuration: Self.configuration, now: start)
        machine.bytesReceived(now: start)
        #expect(machine.requestHead(keepAlive: true, now: start) == false)
        machine.bodyReceived(now: at(.seconds(4)))
        #expect(machine.nextDeadline == at(.seconds(9)))
        #expect(machine.timerFired(now: at(.seconds(5))) == .none)
        #expect(machine.timerFired(now: at(.seconds(9))) == .close)
    }

    @Test func slowHandlerIsNotCutOffByIdle() {
        var machine = HTTPConnectionStateMachine(configuration: Self.configuration, now: start)
        machine.bytesReceived(now: start)
        _ = machine.requestHead(keepAlive: true, now: start)
        machine.requestEnd()
        #expect(machine.timerFired(now: at(.seconds(6))) == .none)
        #expect(machine.nextDeadline == at(.seconds(11)))
        #expect(machine.responseIssued(now: at(.seconds(7))) == .none)
    }

    @Test func nonKeepAliveRequestClosesWhenItsResponseIsWritten() {
        var machine = HTTPConnectionStateMachine(configuration: Self.configuration, now: start)
        machine.bytesReceived(now: start)
        #expect(machine.requestHead(keepAlive: false, now: start) == true)
        machine.requestEnd()
        #expect(machine.closeAfterResponse)
        #expect(machine.responseIssued(now: start) == .closeWhenWritten)
        #expect(machine.isClosed)
    }

    @Test func drainWhileIdleClosesAfterTheGrace() {
        var machine = idleAfterOneResponse()
        #expect(machine.drainStarted(now: at(.seconds(1))) == .none)
        #expect(machine.nextDeadline == at(.milliseconds(1500)))
        #expect(machine.timerFired(now: at(.milliseconds(1499))) == .none)
        #expect(machine.timerFired(now: at(.milliseconds(1500))) == .closeIdleUnlessInputWaiting)
        #expect(machine.closeIdle() == .close)
        #expect(machine.isClosed)
    }

    @Test func requestWaitingInTheSocketWhenTheGraceEndsIsAnswered() {
        var machine = idleAfterOneResponse()
        _ = machine.drainStarted(now: at(.seconds(1)))
        #expect(machine.timerFired(now: at(.milliseconds(1500))) == .closeIdleUnlessInputWaiting)
        // The handler found bytes unread in the socket: a request has started.
        machine.bytesReceived(now: at(.milliseconds(1500)))
        #expect(!machine.isClosed)
        #expect(machine.nextDeadline == at(.milliseconds(2500)), "the read_header deadline bounds it")
        #expect(machine.requestHead(keepAlive: true, now: at(.milliseconds(1600))) == true)
        machine.requestEnd()
        #expect(machine.responseIssued(now: at(.milliseconds(1700))) == .closeWhenWritten)
    }

    @Test func drainNeverPostponesAnEarlierDeadline() {
        var machine = idleAfterOneResponse()
        #expect(machine.drainStarted(now: at(.milliseconds(4800))) == .none)
        #expect(machine.nextDeadline == at(.seconds(5)))
    }

    @Test func drainWhileIdleWithoutGraceClosesAtOnce() {
        var configuration = Self.configuration
        configuration.drainGrace = .zero
        var machine = idleAfterOneResponse(configuration)
        #expect(machine.drainStarted(now: at(.seconds(1))) == .closeIdleUnlessInputWaiting)
        #expect(machine.closeIdle() == .close)
        #expect(machine.isClosed)
    }

    @Test func drainWhileIdleWaitsForAResponseStillBeingWritten() {
        var configuration = Self.configuration
        configuration.drainGrace = .zero
        var machine = HTTPConnectionStateMachine(configuration: configuration, now: start)
        machine.bytesReceived(now: start)
        _ = machine.requestHead(keepAlive: true, now: start)
        machine.requestEnd()
        #expect(machine.responseIssued(now: start) == .none)
        #expect(machine.drainStarted(now: start) == .closeIdleUnlessInputWaiting)
        #expect(machine.closeIdle() == .closeWhenWritten)
    }

    @Test func requestArrivingDuringTheGraceIsAnsweredWithClose() {
        var machine = idleAfterOneResponse()
        _ = machine.drainStarted(now: at(.seconds(1)))
        machine.bytesReceived(now: at(.milliseconds(1200)))
        #expect(machine.timerFired(now: at(.milliseconds(1500))) == .none, "reading a head is not idle")
        #expect(machine.requestHead(keepAlive: true, now: at(.milliseconds(1600))) == true)
        machine.requestEnd()
        #expect(machine.responseIssued(now: at(.milliseconds(1700))) == .closeWhenWritten)
    }

    @Test func drainMidRequestClosesAfterItsResponse() {
        var machine = HTTPConnectionStateMachine(configuration: Self.configuration, now: start)
        machine.bytesReceived(now: start)
        #expect(machine.requestHead(keepAlive: true, now: start) == false)
        #expect(!machine.closeAfterResponse)
        #expect(machine.drainStarted(now: at(.milliseconds(100))) == .none)
        #expect(machine.closeAfterResponse, "the response in flight carries Connection: close")
        #expect(machine.timerFired(now: at(.seconds(1))) == .none, "the grace is for idle connections only")
        machine.requestEnd()
        #expect(machine.responseIssued(now: at(.seconds(2))) == .closeWhenWritten)
        #expect(machine.isClosed)
    }

    @Test func secondDrainChangesNothing() {
        var machine = idleAfterOneResponse()
        _ = machine.drainStarted(now: at(.seconds(1)))
        #expect(machine.drainStarted(now: at(.seconds(2))) == .none)
        #expect(machine.nextDeadline == at(.milliseconds(1500)))
    }

    @Test func writeWithoutProgressIsDroppedAfterTheWriteTimeout() {
        var machine = awaitingResponse()
        #expect(machine.responseIssued(now: start) == .none)
        #expect(machine.nextDeadline == at(.seconds(3)), "the write deadline comes before idle")
        machine.writeProgressed(now: at(.seconds(2)), responseFinished: false)
        #expect(machine.nextDeadline == at(.seconds(5)), "progress pushes the write deadline")
        #expect(machine.timerFired(now: at(.milliseconds(4999))) == .none)
        #expect(machine.timerFired(now: at(.seconds(5))) == .close)
    }

    @Test func aProgressingDownloadOutlivesTheIdleTimeout() {
        var machine = HTTPConnectionStateMachine(configuration: Self.configuration, now: start)
        machine.bytesReceived(now: start)
        _ = machine.requestHead(keepAlive: true, now: start)
        machine.requestEnd()
        #expect(machine.responseIssued(now: start) == .none)
        // Twenty seconds of sendfile chunks, each within the 3 s write timeout, far past idle (5 s).
        for second in stride(from: 2, through: 20, by: 2) {
            machine.writeProgressed(now: at(.seconds(Int64(second))), responseFinished: false)
            #expect(machine.timerFired(now: at(.seconds(Int64(second)) + .milliseconds(1))) == .none)
        }
        machine.writeProgressed(now: at(.seconds(21)), responseFinished: true)
        #expect(machine.nextDeadline == at(.seconds(26)), "idle from the end of the last write")
        #expect(machine.timerFired(now: at(.seconds(25))) == .none)
        #expect(machine.timerFired(now: at(.seconds(26))) == .close)
    }

    @Test func queuedResponsesDoNotExtendTheWriteDeadline() {
        var machine = HTTPConnectionStateMachine(configuration: Self.configuration, now: start)
        for second in 0..<3 {
            machine.bytesReceived(now: at(.seconds(Int64(second))))
            _ = machine.requestHead(keepAlive: true, now: at(.seconds(Int64(second))))
            machine.requestEnd()
            _ = machine.responseIssued(now: at(.seconds(Int64(second))))
        }
        #expect(machine.timerFired(now: at(.seconds(3))) == .close, "the first response made no progress for 3 s")
    }

    @Test func anErrorLingersUnlessTheClientHasStoppedSending() {
        var machine = HTTPConnectionStateMachine(configuration: Self.configuration, now: start)
        machine.protocolError()
        #expect(machine.lingerBeforeClose, "a client may still be sending its body")

        var halfClosed = HTTPConnectionStateMachine(configuration: Self.configuration, now: start)
        halfClosed.inputClosed()
        #expect(!halfClosed.lingerBeforeClose)
        halfClosed.protocolError()
        #expect(!halfClosed.lingerBeforeClose, "nothing more can arrive")
    }

    @Test func finishedWritesClearTheWriteDeadline() {
        var machine = idleAfterOneResponse()
        #expect(machine.timerFired(now: at(.seconds(3))) == .none)
        #expect(machine.nextDeadline == at(.seconds(5)))
    }

    @Test func closedConnectionIgnoresEverything() {
        var machine = idleAfterOneResponse()
        machine.closed()
        #expect(machine.isClosed)
        #expect(machine.timerFired(now: at(.seconds(60))) == .none)
        #expect(machine.drainStarted(now: at(.seconds(60))) == .none)
        #expect(machine.responseIssued(now: at(.seconds(60))) == .none)
    }
}
