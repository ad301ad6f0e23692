import Testing
@testable import ZeroDT

@Suite struct RestartStateMachineTests {
    typealias Machine = RestartStateMachine

    static func machine(predecessor: Int32? = nil, stateful: Bool = false) -> Machine {
        Machine(configuration: .init(generation: predecessor == nil ? 1 : 2, pid: 10, stateful: stateful,
                                     predecessorPID: predecessor, waitChild: .seconds(60), turnTimeout: .seconds(10)))
    }

    /// A first generation that serves and has a successor (pid 20, launch 1) that is ready.
    static func handingOver() -> Machine {
        var machine = machine()
        _ = machine.handle(.started)
        _ = machine.handle(.restartRequested(.signal))
        _ = machine.handle(.successorLaunched(1, pid: 20))
        _ = machine.handle(.successorReady(1, unixPaths: [], adopted: 1, confirms: true))
        return machine
    }

    @Test func aRestartHandsOverOnlyOnceTheSuccessorIsKnownToRun() {
        var machine = Self.machine()
        #expect(machine.handle(.started).contains(.startAccepting))
        #expect(machine.handle(.restartRequested(.signal)).contains(.launchSuccessor(1, generation: 2)))
        #expect(machine.handle(.successorLaunched(1, pid: 20)) == [.startTimer(.successorReady(1), .seconds(60))])
        let ready = machine.handle(.successorReady(1, unixPaths: ["/run/a.sock"], adopted: 1, confirms: true))
        #expect(ready.contains(.drain(1, afterShutdownDelay: false)) && ready.contains(.stopControlServer))
        #expect(machine.handle(.acceptingStopped(1)) == [.tellSuccessor(1, .acceptingStopped)])
        // `reload` is answered once the successor says it took over (its pid is in the pid file).
        #expect(machine.handle(.successorTookOver(1)) == [.finishRestart(.init(
            ok: true, summary: "generation 2 (pid 20) took over", detail: "generation 2 (pid 20) took over",
            generation: 2, pid: 20), answerWaiters: true)])
        #expect(machine.handle(.drained(1)) == [.checkSuccessor(1)])
        // Asked again after the hook: it may have died meanwhile.
        #expect(machine.handle(.successorAlive(1)) == [
            .runHook(.completeShutdown), .tellSuccessor(1, .shutdownComplete), .checkSuccessor(1),
        ])
        #expect(machine.handle(.successorAlive(1)) == [.exit(.handedOver(successorPID: 20, unixPaths: ["/run/a.sock"]))])
    }

    @Test func requestsDuringARestartAreCoalescedAndPassedOn() {
        var machine = Self.machine()
        _ = machine.handle(.started)
        _ = machine.handle(.restartRequested(.signal))
        #expect(!machine.handle(.restartRequested(.signal)).contains { if case .launchSuccessor = $0 { true } else { false } })
        _ = machine.handle(.successorLaunched(1, pid: 20))
        #expect(machine.handle(.successorReady(1, unixPaths: [], adopted: 0, confirms: true)).contains(.forwardRestart(1)))
    }

    @Test func aFailedSuccessorIsReportedOnceAndARequestMeanwhileRetries() {
        var machine = Self.machine()
        _ = machine.handle(.started)
        _ = machine.handle(.restartRequested(.command))
        _ = machine.handle(.successorLaunched(1, pid: 20))
        _ = machine.handle(.restartRequested(.command))
        let failure = SuccessorFailure(summary: "invalid config: a.yaml:1:1: error: x", detail: "invalid config:\n…")
        let failed = machine.handle(.successorFailed(1, failure))
        #expect(failed.contains(.killSuccessor(1)))
        #expect(failed.contains(.launchSuccessor(2, generation: 2)))
        #expect(failed.contains { if case .finishRestart(_, answerWaiters: false) = $0 { true } else { false } })
        // Its exit comes later and is not a second report.
        #expect(machine.handle(.successorExited(1, status: "exited with status 1")).isEmpty)
    }

    @Test func aSuccessorThatDiesAfterReadyGivesTheServiceBack() {
        var machine = Self.handingOver()
        // Not before this generation has stopped accepting and started its drain: that would
        // race with both.
        #expect(machine.handle(.successorExited(1, status: "was killed by signal 9")).isEmpty)
        #expect(machine.handle(.acceptingStopped(1)).isEmpty)
        let back = machine.handle(.drainStarted(1))
        #expect(back.contains(.resumeAccepting) && back.contains(.writePIDFile) && back.contains(.startControlServer))
        #expect(back.contains { if case .notify(.tookBack) = $0 { true } else { false } })
        #expect(machine.state == .serving(.init(predecessor: .gone)))
        // The abandoned drain's end changes nothing; the next restart works as usual.
        #expect(machine.handle(.drained(1)).isEmpty)
        #expect(machine.handle(.restartRequested(.signal)).contains(.launchSuccessor(2, generation: 2)))
    }

    @Test func aSuccessorFoundDeadWhenTheDrainEndsGivesTheServiceBackToo() {
        var machine = Self.handingOver()
        _ = machine.handle(.acceptingStopped(1))
        _ = machine.handle(.drainStarted(1))
        #expect(machine.handle(.drained(1)) == [.checkSuccessor(1)])
        #expect(machine.handle(.successorExited(1, status: "was killed by signal 9")).contains(.resumeAccepting))
    }

    @Test func aFailedPIDFileWriteIsTriedAgainAtTheNextChangeOfState() {
        var machine = Self.machine()
        #expect(machine.handle(.started).contains(.writePIDFile))
        #expect(machine.handle(.pidFileWritten(ok: false)).isEmpty)
        #expect(machine.handle(.restartRequested(.signal)).last == .writePIDFile)
        _ = machine.handle(.pidFileWritten(ok: true))
        #expect(!machine.handle(.successorLaunched(1, pid: 20)).contains(.writePIDFile))
    }

    @Test func onlyASecondStopSignalCutsTheDrainShort() {
        var machine = Self.machine()
        _ = machine.handle(.started)
        #expect(machine.handle(.stopRequested(bySignal: false)).contains(.drain(1, afterShutdownDelay: true)))
        #expect(machine.handle(.stopRequested(bySignal: true)).allSatisfy { if case .exit = $0 { false } else { true } })
        #expect(machine.handle(.stopRequested(bySignal: true)).last == .exit(.interrupted))

        // Cut short after a hand-over: the successor's sockets stay; a supervisor hears of it.
        var handingOver = Self.handingOver()
        _ = handingOver.handle(.stopRequested(bySignal: true))
        #expect(handingOver.handle(.stopRequested(bySignal: true)).last
            == .exit(.handedOver(successorPID: 20, unixPaths: [], cutShort: true)))
        // The successor said it stops: the service ends here, cut short.
        var successorStopping = Self.handingOver()
        _ = successorStopping.handle(.successorStopping(1))
        _ = successorStopping.handle(.stopRequested(bySignal: true))
        #expect(successorStopping.handle(.stopRequested(bySignal: true)).last == .exit(.interrupted))
        // `reload` clients of a restart that cannot be finished are answered, whatever the ending.
    }

    @Test func onlyAStopOfAnAcceptingGenerationWaitsForTheShutdownDelay() {
        // A stop: health checks fail at once (the hook), accepting stops after the delay.
        var serving = Self.machine()
        _ = serving.handle(.started)
        let stop = serving.handle(.stopRequested(bySignal: true))
        let hook = stop.firstIndex(of: .runHook(.stopping))
        let drain = stop.firstIndex(of: .drain(1, afterShutdownDelay: true))
        #expect(hook != nil && drain != nil && hook! < drain!, "\(stop)")
        // A hand-over: the successor serves, nothing to warn a load balancer of.
        var restarting = Self.machine()
        _ = restarting.handle(.started)
        _ = restarting.handle(.restartRequested(.signal))
        _ = restarting.handle(.successorLaunched(1, pid: 20))
        let ready = restarting.handle(.successorReady(1, unixPaths: [], adopted: 1, confirms: true))
        #expect(ready.contains(.drain(1, afterShutdownDelay: false)) && !ready.contains(.runHook(.stopping)))
        // A successor stopped before its turn has never accepted.
        var successor = Self.machine(predecessor: 5)
        _ = successor.handle(.started)
        let early = successor.handle(.stopRequested(bySignal: false))
        #expect(early.contains(.drain(1, afterShutdownDelay: false)) && !early.contains(.runHook(.stopping)), "\(early)")
    }

    @Test func aStopWhileSpawningKillsTheSuccessorAsSoonAsItExists() {
        var machine = Self.machine()
        _ = machine.handle(.started)
        _ = machine.handle(.restartRequested(.signal))
        #expect(machine.handle(.stopRequested(bySignal: true)).contains(.drain(1, afterShutdownDelay: true)))
        #expect(machine.handle(.successorLaunched(1, pid: 20)).contains(.killSuccessor(1)))
    }

    @Test func aStatelessSuccessorAcceptsOnceItsPredecessorStopsAndOwnsThePIDFile() {
        var machine = Self.machine(predecessor: 5)
        #expect(machine.handle(.started) == [.reportReady, .startTimer(.turn, .seconds(10))])
        let turn = machine.handle(.predecessorStoppedAccepting)
        #expect(turn.contains(.writePIDFile) && turn.contains(.startAccepting))
        // A restart waits while the predecessor drains: at most one old generation drains.
        #expect(!machine.handle(.restartRequested(.signal)).contains { if case .launchSuccessor = $0 { true } else { false } })
        #expect(machine.handle(.predecessorFinished) .contains(.runHook(.preParentExit)))
        #expect(machine.handle(.predecessorExited).contains(.launchSuccessor(1, generation: 3)))
    }

    @Test func aStatefulSuccessorAcceptsOnlyAfterTheDrainOrKillsAPredecessorThatTakesTooLong() {
        var machine = Self.machine(predecessor: 5, stateful: true)
        _ = machine.handle(.started)
        #expect(machine.handle(.predecessorStoppedAccepting) == [.writePIDFile, .reportTookOver])
        let late = machine.handle(.timerFired(.turn))
        #expect(late.contains(.killPredecessor) && late.contains(.runHook(.preParentExit)))
        #expect(late.firstIndex(of: .runHook(.preParentExit))! < late.firstIndex(of: .startAccepting)!)
    }

    @Test func aSuccessorThatIsStoppedTellsItsPredecessorNotToServeAgain() {
        var successor = Self.machine(predecessor: 5)
        _ = successor.handle(.started)
        _ = successor.handle(.predecessorStoppedAccepting)
        #expect(successor.handle(.stopRequested(bySignal: false)).first == .reportStopping)

        var predecessor = Self.handingOver()
        _ = predecessor.handle(.acceptingStopped(1))
        _ = predecessor.handle(.drainStarted(1))
        _ = predecessor.handle(.successorStopping(1))
        #expect(!predecessor.handle(.successorExited(1, status: "exited with status 0")).contains(.resumeAccepting))
        #expect(predecessor.handle(.drained(1)).last == .exit(.stopped))
    }

    @Test func aStoppedGenerationDoesNotExitBeforeTheSuccessorItWasSpawningIsKilled() {
        var machine = Self.machine()
        _ = machine.handle(.started)
        _ = machine.handle(.restartRequested(.signal))
        _ = machine.handle(.stopRequested(bySignal: true))
        #expect(machine.handle(.drained(1)).isEmpty)
        #expect(machine.handle(.successorLaunched(1, pid: 20)).suffix(2) == [.killSuccessor(1), .runHook(.completeShutdown)]
            || machine.state == .exited(.stopped))
    }

    @Test func aSuccessorStoppedBeforeItsTurnLeavesTheSocketsToItsPredecessor() {
        var machine = Self.machine(predecessor: 5)
        _ = machine.handle(.started)
        #expect(machine.handle(.stopRequested(bySignal: true)).contains(.reportStopping))
        // It exits after its predecessor, so that `stop` returns once the sockets are free.
        #expect(machine.handle(.drained(1)).isEmpty)
        #expect(machine.handle(.predecessorExited).last == .exit(.stoppedBeforeTurn))
    }
}
