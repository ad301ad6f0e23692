import NIOCore
import NIOEmbedded
import Testing

@testable import ZeroDTHTTP

@Suite struct EarliestDeadlineTimerTests {
    /// Counts its calls, and marks the timer fired as every owner does.
    final class Owner: DeadlineOwner {
        var timer = EarliestDeadlineTimer()
        var calls = 0

        func deadlinePassed() {
            timer.fired()
            calls += 1
        }
    }

    let loop = EmbeddedEventLoop()

    @Test func aLaterDeadlineLeavesTheTimerWhereItIs() {
        let owner = Owner()
        owner.timer.arm(at: loop.now + .seconds(10), on: loop, owner: owner)
        owner.timer.arm(at: loop.now + .seconds(20), on: loop, owner: owner)
        loop.advanceTime(by: .seconds(10))
        #expect(owner.calls == 1)
        loop.advanceTime(by: .seconds(20))
        #expect(owner.calls == 1, "the later deadline is the owner's to set again when it is called")
    }

    @Test func anEarlierDeadlineMovesIt() {
        let owner = Owner()
        owner.timer.arm(at: loop.now + .seconds(10), on: loop, owner: owner)
        owner.timer.arm(at: loop.now + .seconds(5), on: loop, owner: owner)
        loop.advanceTime(by: .seconds(5))
        #expect(owner.calls == 1)
        loop.advanceTime(by: .seconds(10))
        #expect(owner.calls == 1, "the first deadline's call was cancelled")
    }

    @Test func onceFiredAnyDeadlineSetsIt() {
        let owner = Owner()
        owner.timer.arm(at: loop.now + .seconds(5), on: loop, owner: owner)
        loop.advanceTime(by: .seconds(5))
        owner.timer.arm(at: loop.now + .seconds(30), on: loop, owner: owner)
        loop.advanceTime(by: .seconds(30))
        #expect(owner.calls == 2)
    }

    @Test func aCancelledTimerCallsNothing() {
        let owner = Owner()
        owner.timer.arm(at: loop.now + .seconds(5), on: loop, owner: owner)
        owner.timer.cancel()
        loop.advanceTime(by: .seconds(10))
        #expect(owner.calls == 0)
        owner.timer.arm(at: loop.now + .seconds(50), on: loop, owner: owner)
        loop.advanceTime(by: .seconds(50))
        #expect(owner.calls == 1, "cancelling clears the deadline: a later one sets the timer again")
    }
}
