#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ZeroDT

/// The supervisor's decisions, one event at a time: no processes.
@Suite struct SupervisorStateMachineTests {
    typealias Machine = SupervisorStateMachine

    static let killed = ProcessStatus(raw: SIGKILL)
    static let exitedOK = ProcessStatus(raw: 0)

    /// A supervisor whose generation 1 (pid 100) handles signals and serves.
    static func serving() -> Machine {
        var machine = Machine()
        _ = machine.handle(.started)
        _ = machine.handle(.launched(pid: 100))
        _ = machine.handle(.handlesSignals(pid: 100))
        _ = machine.handle(.serving(pid: 100, generation: 1))
        return machine
    }

    @Test func itStartsGenerationOneAndKeepsTheSocketsOfWhoeverServes() {
        var machine = Machine()
        #expect(machine.handle(.started) == [.launch(generation: 1)])
        #expect(machine.handle(.launched(pid: 100)) == [])
        #expect(machine.handle(.handlesSignals(pid: 100)) == [])
        let first = machine.handle(.serving(pid: 100, generation: 1))
        #expect(first.contains(.holdSockets) && first.contains(.notify(["READY=1", "STATUS=generation 1 serving"])))
        // A successor takes over: its sockets replace the old ones; systemd heard READY once.
        let second = machine.handle(.serving(pid: 200, generation: 2))
        #expect(second.contains(.holdSockets) && !second.contains { if case .notify = $0 { true } else { false } })
        #expect(machine.handle(.signal(.restart(SIGHUP)))
            == [.log(.info, "SIGHUP: passing it on to pid 200"), .sendSignal(SIGHUP, to: 200)])
    }

    @Test func aChainThatEndsWithoutAStopIsStartedAgainAtOnceThenWithABackoff() {
        var machine = Self.serving()
        let first = machine.handle(.channelClosed)
        #expect(first.last == .launch(generation: 2), "\(first)")
        #expect(first.contains(.log(.warning, "generation 1 (pid 100) ended without a hand-over; starting generation 2 on the same sockets")))
        _ = machine.handle(.launched(pid: 300))
        // Dead again before serving for `stableAfter`: wait 250ms, then 500ms, 1s, … up to 30s.
        var delays: [Duration] = []
        for pid in Int32(301)...310 {
            let actions = machine.handle(.channelClosed)
            guard case .startTimer(.relaunch, let delay)? = actions.last else {
                Issue.record("no relaunch timer: \(actions)")
                return
            }
            delays.append(delay)
            #expect(machine.handle(.timerFired(.relaunch)).last != nil)
            _ = machine.handle(.launched(pid: pid))
        }
        #expect(delays.prefix(4) == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2)])
        #expect(delays.last == .seconds(30))
        // A generation that served long enough resets the count: its death restarts at once.
        _ = machine.handle(.serving(pid: 310, generation: 12))
        _ = machine.handle(.timerFired(.stable))
        #expect(machine.handle(.channelClosed).last == .launch(generation: 13))
    }

    @Test func everyStopGoesToEveryGenerationAndEndsWithTheStatusTheyAnnounced() {
        var machine = Self.serving()
        _ = machine.handle(.serving(pid: 200, generation: 2))
        let stop = machine.handle(.signal(.stop(SIGTERM)))
        #expect(stop.first == .releaseSockets && stop.last == .signalGroup(SIGTERM, group: 100))
        // A second one reaches the older generation's drain too, and cuts it short: as
        // SIGQUIT, which a generation cannot merge with a first stop signal still pending.
        #expect(machine.handle(.signal(.stop(SIGINT))).last == .signalGroup(SIGQUIT, group: 100))
        #expect(machine.handle(.signal(.stop(SIGTERM))).last == .signalGroup(SIGQUIT, group: 100))
        _ = machine.handle(.exiting(pid: 200, generation: 2, status: 1))
        _ = machine.handle(.exiting(pid: 100, generation: 1, status: 1))
        // Generation 1 reaped generation 2: the status comes from what they said.
        #expect(machine.handle(.channelClosed) == [.cancelTimer(.stable), .exit(1)])
    }

    /// The older generation may say it stopped after the serving one said its drain was cut
    /// short: the failure stands (a race the supervisor test hit under load).
    @Test func aFailureAnnouncedFirstIsNotOverwrittenByALaterSuccess() {
        var machine = Self.serving()
        _ = machine.handle(.serving(pid: 200, generation: 2))
        _ = machine.handle(.signal(.stop(SIGINT)))
        _ = machine.handle(.signal(.stop(SIGINT)))
        _ = machine.handle(.exiting(pid: 200, generation: 2, status: 1))
        _ = machine.handle(.exiting(pid: 100, generation: 1, status: 0))
        #expect(machine.handle(.channelClosed) == [.cancelTimer(.stable), .exit(1)])
    }

    @Test func withoutAnAnnouncementTheLastGenerationsReapedStatusCounts() {
        var machine = Self.serving()
        _ = machine.handle(.signal(.stop(SIGTERM)))
        #expect(machine.handle(.channelClosed) == [.cancelTimer(.stable), .startTimer(.reapGrace, .seconds(2))])
        #expect(machine.handle(.childExited(pid: 100, status: Self.killed)).last == .exit(128 + SIGKILL))
    }

    @Test func signalsWaitUntilTheGenerationHandlesThem() {
        var machine = Machine()
        _ = machine.handle(.started)
        _ = machine.handle(.signal(.restart(SIGHUP)))
        _ = machine.handle(.launched(pid: 100))
        _ = machine.handle(.signal(.stop(SIGTERM)))
        _ = machine.handle(.signal(.stop(SIGTERM)))
        // Before its handlers, a signal would kill it: everything waits, in order. Sent back
        // to back, two SIGTERMs would reach it as one: the second goes as SIGQUIT.
        #expect(machine.handle(.handlesSignals(pid: 100))
            == [.signalGroup(SIGTERM, group: 100), .signalGroup(SIGQUIT, group: 100)])
        var restarting = Machine()
        _ = restarting.handle(.started)
        _ = restarting.handle(.launched(pid: 100))
        _ = restarting.handle(.signal(.restart(SIGUSR2)))
        #expect(restarting.handle(.handlesSignals(pid: 100)) == [.sendSignal(SIGUSR2, to: 100)])
        // Its successor handling signals changes nothing: only the launched one counts.
        #expect(restarting.handle(.handlesSignals(pid: 200)) == [])
    }

    @Test func aStopAGenerationHeardOfDirectlyIsNoCrash() {
        var machine = Self.serving()
        #expect(machine.handle(.stopping(pid: 100, generation: 1)).contains(.releaseSockets))
        // It was no signal: the first signal after it is passed on as it came, as a first.
        var signalled = Self.serving()
        _ = signalled.handle(.stopping(pid: 100, generation: 1))
        #expect(signalled.handle(.signal(.stop(SIGTERM))).last == .signalGroup(SIGTERM, group: 100))
        // Reaped before the channel closed: nothing left to wait for.
        _ = machine.handle(.childExited(pid: 100, status: Self.exitedOK))
        #expect(machine.handle(.channelClosed).last == .exit(0))
    }

    @Test func theFirstGenerationFailingToStartEndsTheServiceWithItsStatus() {
        var machine = Machine()
        _ = machine.handle(.started)
        _ = machine.handle(.launched(pid: 100))
        #expect(machine.handle(.channelClosed).last == .startTimer(.reapGrace, .seconds(2)))
        #expect(machine.handle(.childExited(pid: 100, status: ProcessStatus(raw: 1 << 8))).last == .exit(1))

        var unstartable = Machine()
        _ = unstartable.handle(.started)
        #expect(unstartable.handle(.launchFailed("no such file")).last == .exit(1))
    }

    @Test func aStatusAnOlderGenerationReapedIsWaitedForOnlyBriefly() {
        var machine = Self.serving()
        _ = machine.handle(.serving(pid: 200, generation: 2))
        _ = machine.handle(.signal(.stop(SIGTERM)))
        // Generation 1 still drained and reaped 2 itself; then it exited here.
        _ = machine.handle(.childExited(pid: 100, status: Self.exitedOK))
        _ = machine.handle(.channelClosed)
        #expect(machine.handle(.timerFired(.reapGrace)) == [.exit(0)])
    }

    @Test func whileWaitingToStartAgainARestartStartsNowAndAStopEnds() {
        var restarted = Self.serving()
        _ = restarted.handle(.channelClosed)
        _ = restarted.handle(.launched(pid: 200))
        _ = restarted.handle(.childExited(pid: 100, status: Self.killed))
        _ = restarted.handle(.channelClosed)
        #expect(restarted.handle(.signal(.restart(SIGHUP))).last == .launch(generation: 3))

        var stopped = Self.serving()
        _ = stopped.handle(.childExited(pid: 100, status: Self.killed))
        _ = stopped.handle(.channelClosed)
        _ = stopped.handle(.launched(pid: 200))
        _ = stopped.handle(.channelClosed)
        // Nothing runs: stopped as asked (the crash was logged when it happened).
        #expect(stopped.handle(.signal(.stop(SIGTERM))).last == .exit(0))
    }

    @Test func aStopDuringALaunchReachesTheGenerationOnceItHandlesSignals() {
        var machine = Machine()
        _ = machine.handle(.started)
        _ = machine.handle(.signal(.stop(SIGTERM)))
        #expect(machine.handle(.launched(pid: 100)) == [])
        #expect(machine.handle(.handlesSignals(pid: 100)) == [.signalGroup(SIGTERM, group: 100)])
        // It serves before it heard: its sockets are not kept.
        #expect(machine.handle(.serving(pid: 100, generation: 1)) == [.releaseSockets])
    }

    @Test func newsOfAChainThatEndedTouchesNothingHeld() {
        // A late `serving` while no chain runs leaves the held sockets alone.
        var relaunching = Self.serving()
        _ = relaunching.handle(.childExited(pid: 100, status: Self.killed))
        _ = relaunching.handle(.channelClosed)
        _ = relaunching.handle(.launched(pid: 200))
        _ = relaunching.handle(.channelClosed)
        #expect(relaunching.handle(.serving(pid: 200, generation: 2)) == [])
    }

    @Test func quitSignalsTheWholeProcessGroupOrKillsItBeforeItHandlesSignals() {
        var machine = Self.serving()
        _ = machine.handle(.serving(pid: 200, generation: 2))
        #expect(machine.handle(.signal(.quit)).last == .signalGroup(SIGQUIT, group: 100))
        var early = Machine()
        _ = early.handle(.started)
        _ = early.handle(.launched(pid: 100))
        #expect(early.handle(.signal(.quit)).last == .signalGroup(SIGKILL, group: 100))
    }

    @Test func autoSupervisesAsPID1OrInATerminalOutsideSystemd() {
        #expect(Supervision.auto.isOn(pid: 1, stdinIsTerminal: false, underSystemd: false))
        #expect(Supervision.auto.isOn(pid: 42, stdinIsTerminal: true, underSystemd: false))
        #expect(!Supervision.auto.isOn(pid: 42, stdinIsTerminal: true, underSystemd: true))
        #expect(!Supervision.auto.isOn(pid: 42, stdinIsTerminal: false, underSystemd: false))
        #expect(Supervision.always.isOn(pid: 42, stdinIsTerminal: false, underSystemd: true))
        #expect(!Supervision.never.isOn(pid: 1, stdinIsTerminal: true, underSystemd: false))
    }

    @Test func restartsFollowAHandOverAtOnceAndFailuresAreLogged() {
        var machine = Self.serving()
        _ = machine.handle(.handingOver(pid: 100, successor: 200))
        #expect(machine.handle(.signal(.restart(SIGHUP))).last == .sendSignal(SIGHUP, to: 200))
        // Word from a generation that no longer serves changes nothing.
        _ = machine.handle(.handingOver(pid: 100, successor: 300))
        #expect(machine.handle(.signal(.restart(SIGHUP))).last == .sendSignal(SIGHUP, to: 200))
        #expect(machine.handle(.failed(pid: 300, generation: 3, reason: "invalid config"))
            == [.log(.error, "generation 3 (pid 300) cannot start: invalid config")])
    }

    @Test func sigusr1ReopensTheSupervisorsLogsAndReachesGenerationsThatHandleSignals() {
        var machine = Machine()
        _ = machine.handle(.started)
        #expect(machine.handle(.signal(.reopenLogs)) == [.reopenOwnLogs])
        _ = machine.handle(.launched(pid: 100))
        #expect(machine.handle(.signal(.reopenLogs)) == [.reopenOwnLogs, .signalGroup(SIGUSR1, group: 100)])
    }
}
