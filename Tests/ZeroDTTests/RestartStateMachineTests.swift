import Testing
@testable import ZeroDT

@Suite struct RestartStateMachineTests {
    @Test func restartThenHandOver() {
        var machine = RestartStateMachine()
        #expect(machine.restartRequested() == .startSuccessor)
        #expect(machine.successorReady() == .handOver(forwardRestart: false))
        #expect(machine.state == .handingOver(stopRequested: false))
    }

    @Test func restartRequestsDuringARestartAreCoalescedIntoOne() {
        var machine = RestartStateMachine()
        #expect(machine.restartRequested() == .startSuccessor)
        #expect(machine.restartRequested() == .coalesced)
        #expect(machine.restartRequested() == .coalesced)
        #expect(machine.successorReady() == .handOver(forwardRestart: true))
    }

    @Test func failureKeepsServingAndRetriesOnlyWhenAskedMeanwhile() {
        var machine = RestartStateMachine()
        _ = machine.restartRequested()
        #expect(machine.successorFailed() == .keepServing(retry: false))
        #expect(machine.state == .serving)

        _ = machine.restartRequested()
        _ = machine.restartRequested()
        #expect(machine.successorFailed() == .keepServing(retry: true))
        #expect(machine.state == .restarting(pendingRestart: false))
        #expect(machine.successorFailed() == .keepServing(retry: false))
    }

    @Test func aDrainingGenerationNeverStartsASuccessor() {
        var machine = RestartStateMachine()
        _ = machine.restartRequested()
        _ = machine.successorReady()
        #expect(machine.restartRequested() == .ignoredWhileDraining)

        var stopping = RestartStateMachine()
        #expect(stopping.stopRequested() == .stop)
        #expect(stopping.restartRequested() == .ignoredWhileDraining)
    }

    @Test func stopDuringARestartAbortsIt() {
        var machine = RestartStateMachine()
        _ = machine.restartRequested()
        #expect(machine.stopRequested() == .abortRestartAndStop)
        #expect(machine.successorReady() == .none)
        #expect(machine.successorFailed() == .none)
    }

    @Test func aSecondStopExitsAtOnce() {
        var machine = RestartStateMachine()
        #expect(machine.stopRequested() == .stop)
        #expect(machine.stopRequested() == .exitNow)

        var handingOver = RestartStateMachine()
        _ = handingOver.restartRequested()
        _ = handingOver.successorReady()
        #expect(handingOver.stopRequested() == .none, "a draining generation finishes its drain on the first stop")
        #expect(handingOver.stopRequested() == .exitNow)
    }

    @Test func outcomesWithoutARestartAreIgnored() {
        var machine = RestartStateMachine()
        #expect(machine.successorReady() == .none)
        #expect(machine.successorFailed() == .none)
        #expect(machine.state == .serving)
    }
}
