import Testing
@testable import ZeroDT

/// A restart asked for during a hand-over runs once after it, whatever its outcome: in the
/// successor that took over, or here when the successor died and the service came back.
extension RestartStateMachineTests {
    private static func launches(_ actions: [Machine.Action]) -> [Machine.LaunchID] {
        actions.compactMap { if case .launchSuccessor(let launch, _) = $0 { launch } else { nil } }
    }

    @Test func aRestartPassedOnDuringAHandOverRunsHereWhenTheSuccessorDies() {
        var machine = Self.handingOver()
        #expect(machine.handle(.restartRequested(.signal)).contains(.forwardRestart(1)))
        _ = machine.handle(.acceptingStopped(1))
        _ = machine.handle(.drainStarted(1))
        let back = machine.handle(.successorExited(1, status: "was killed by signal 9"))
        #expect(back.contains(.resumeAccepting))
        #expect(Self.launches(back) == [2], "\(back)")
        // Waiters get the answer of the restart that follows, not the failure.
        #expect(back.contains { if case .finishRestart(_, answerWaiters: false) = $0 { true } else { false } })
    }

    @Test func aRestartCoalescedBeforeTheHandOverRunsHereWhenTheSuccessorDies() {
        var machine = Self.machine()
        _ = machine.handle(.started)
        _ = machine.handle(.restartRequested(.signal))
        _ = machine.handle(.successorLaunched(1, pid: 20))
        _ = machine.handle(.restartRequested(.signal))
        #expect(machine.handle(.successorReady(1, unixPaths: [], adopted: 1, confirms: true)).contains(.forwardRestart(1)))
        #expect(machine.handle(.successorExited(1, status: "was killed by signal 9")).isEmpty)
        _ = machine.handle(.acceptingStopped(1))
        #expect(Self.launches(machine.handle(.drainStarted(1))) == [2])
    }

    /// The successor is dead but this generation has not taken back yet (its drain has not
    /// started): the request waits for the take-back instead of going nowhere.
    @Test func aRestartWhileTheSuccessorIsGoneRunsOnceTheServiceIsBack() {
        var machine = Self.handingOver()
        _ = machine.handle(.successorExited(1, status: "was killed by signal 9"))
        let request = machine.handle(.restartRequested(.signal))
        #expect(!request.contains(.forwardRestart(1)) && Self.launches(request).isEmpty)
        _ = machine.handle(.acceptingStopped(1))
        #expect(Self.launches(machine.handle(.drainStarted(1))) == [2])
        // Once.
        #expect(Self.launches(machine.handle(.drained(1))).isEmpty)
    }

    @Test func aHandOverThatSucceedsOwesNothingHere() {
        var machine = Self.handingOver()
        _ = machine.handle(.restartRequested(.signal))
        _ = machine.handle(.acceptingStopped(1))
        _ = machine.handle(.drainStarted(1))
        _ = machine.handle(.successorTookOver(1))
        _ = machine.handle(.drained(1))
        _ = machine.handle(.successorAlive(1))
        let exit = machine.handle(.successorAlive(1))
        #expect(exit.contains { if case .exit = $0 { true } else { false } })
        #expect(Self.launches(exit).isEmpty)
    }
}
