import NIOCore
import NIOEmbedded
import TestSupport
import Testing

@testable import ZeroDTHTTP

@Suite struct DeadlineQueueTests {
    /// Records when it was called; `next`, if set, is the deadline it sets once when called.
    final class Owner: QueuedDeadlineOwner {
        var deadlineSlot = DeadlineQueue<Owner>.notQueued
        var queuedDeadline = NIODeadline.uptimeNanoseconds(0)
        let name: Int
        let log: Log
        var next: NIODeadline?
        weak var queue: DeadlineQueue<Owner>?

        init(_ name: Int, log: Log) {
            self.name = name
            self.log = log
        }

        func deadlinePassed() {
            log.calls.append((name, log.loop.now))
            if let next {
                self.next = nil
                queue?.set(next, for: self)
            }
        }
    }

    final class Log {
        let loop: EmbeddedEventLoop
        var calls: [(owner: Int, at: NIODeadline)] = []
        init(loop: EmbeddedEventLoop) { self.loop = loop }
    }

    let loop = EmbeddedEventLoop()
    let queue: DeadlineQueue<Owner>
    let log: Log

    init() {
        queue = DeadlineQueue(eventLoop: loop)
        log = Log(loop: loop)
    }

    private func owner(_ name: Int) -> Owner {
        let owner = Owner(name, log: log)
        owner.queue = queue
        return owner
    }

    private func at(_ seconds: Int64) -> NIODeadline { NIODeadline.uptimeNanoseconds(0) + .seconds(seconds) }

    @Test func callsEachOwnerAtItsDeadlineInOrder() {
        let (a, b, c) = (owner(1), owner(2), owner(3))
        queue.set(at(30), for: a)
        queue.set(at(10), for: b)
        queue.set(at(20), for: c)
        loop.advanceTime(to: at(15))
        #expect(log.calls.map(\.owner) == [2])
        loop.advanceTime(to: at(60))
        #expect(log.calls.map(\.owner) == [2, 3, 1])
        #expect(log.calls.map(\.at) == [at(10), at(20), at(30)], "each at its own deadline, not later")
        #expect(queue.count == 0)
    }

    @Test func anEarlierDeadlineMovesAnOwnerALaterOneDoesNot() {
        let (a, b) = (owner(1), owner(2))
        queue.set(at(30), for: a)
        queue.set(at(20), for: b)
        queue.set(at(10), for: a)
        queue.set(at(40), for: b)
        loop.advanceTime(to: at(60))
        #expect(log.calls.map(\.owner) == [1, 2])
        #expect(log.calls.map(\.at) == [at(10), at(20)],
                "b is called at its earlier deadline: the later one is the owner's to set again then")
        #expect(queue.count == 0)
    }

    @Test func aRemovedOwnerIsNotCalled() {
        let (a, b) = (owner(1), owner(2))
        queue.set(at(10), for: a)
        queue.set(at(20), for: b)
        queue.remove(a)
        queue.remove(a)
        #expect(a.deadlineSlot == DeadlineQueue<Owner>.notQueued)
        loop.advanceTime(to: at(60))
        #expect(log.calls.map(\.owner) == [2])
    }

    @Test func anOwnerThatSetsAPassedDeadlineIsCalledAgain() {
        let a = owner(1)
        a.next = at(5)
        queue.set(at(10), for: a)
        loop.advanceTime(to: at(10))
        #expect(log.calls.count == 2)
        #expect(queue.count == 0)
    }

    /// Random sets and removes against a plain list: every owner is called once, at the
    /// earliest deadline set for it since it was last removed, in deadline order.
    @Test(arguments: [UInt64(1), 7, 42, 2026])
    func matchesAPlainListUnderRandomChanges(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let owners = (0..<40).map { owner($0) }
        var expected: [Int: Int64] = [:]
        for _ in 0..<400 {
            let owner = owners[Int.random(in: 0..<owners.count, using: &random)]
            if Int.random(in: 0..<4, using: &random) == 0 {
                queue.remove(owner)
                expected[owner.name] = nil
            } else {
                let seconds = Int64.random(in: 1...1000, using: &random)
                queue.set(at(seconds), for: owner)
                expected[owner.name] = min(expected[owner.name] ?? seconds, seconds)
            }
        }
        #expect(queue.count == expected.count)
        loop.advanceTime(to: at(2000))
        #expect(log.calls.map(\.at) == log.calls.map(\.at).sorted())
        #expect(Dictionary(uniqueKeysWithValues: log.calls.map { ($0.owner, $0.at) })
            == expected.mapValues { at($0) })
    }
}
