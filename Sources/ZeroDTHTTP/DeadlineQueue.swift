import NIOCore

/// What a `DeadlineQueue` calls once the deadline set for it has passed; it keeps its own
/// place in the queue, so that moving or removing its deadline takes no search.
protocol QueuedDeadlineOwner: AnyObject {
    /// Its entry's index in the queue, `DeadlineQueue.notQueued` when it has none; only the
    /// queue changes it.
    var deadlineSlot: Int { get set }
    func deadlinePassed()
}

/// The deadlines of many owners on one event loop (every plain HTTP/1 connection of a
/// loop) in one min-heap behind one scheduled callback, as nginx keeps one timer tree.
///
/// Why not a scheduled callback per connection: NIO keeps each in its loop's task heap at
/// about 64 bytes (twice that while the heap's array is half empty), which an idle
/// connection holds for its whole idle timeout, and it cancels one by a linear search of
/// that heap, which a keep-alive request whose `read_header` deadline comes before its
/// idle one paid with every request. Here an entry is 24 bytes and moves in O(log n).
/// - Important: used on one event loop, the one it schedules on.
final class DeadlineQueue<Owner: QueuedDeadlineOwner> {
    static var notQueued: Int { -1 }

    private struct Entry {
        var deadline: NIODeadline
        let owner: Owner
    }

    let eventLoop: any EventLoop
    private var heap: [Entry] = []
    /// Set for the earliest deadline (or an earlier one, moved later since).
    private var timer = EarliestDeadlineTimer()

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// How many owners have a deadline.
    var count: Int { heap.count }

    /// Has `owner` called once `deadline` has passed, in place of the deadline it had.
    func set(_ deadline: NIODeadline, for owner: Owner) {
        let slot = owner.deadlineSlot
        if slot == Self.notQueued {
            heap.append(Entry(deadline: deadline, owner: owner))
            owner.deadlineSlot = heap.count - 1
            siftUp(heap.count - 1)
        } else {
            let earlier = deadline < heap[slot].deadline
            heap[slot].deadline = deadline
            if earlier { siftUp(slot) } else { siftDown(slot) }
        }
        timer.arm(at: heap[0].deadline, on: eventLoop, owner: self)
    }

    /// Takes `owner`'s deadline out, if it has one.
    func remove(_ owner: Owner) {
        let slot = owner.deadlineSlot
        guard slot != Self.notQueued else { return }
        owner.deadlineSlot = Self.notQueued
        let last = heap.removeLast()
        guard slot < heap.count else { return }
        heap[slot] = last
        last.owner.deadlineSlot = slot
        if slot > 0 && last.deadline < heap[(slot - 1) / 2].deadline { siftUp(slot) } else { siftDown(slot) }
    }

    private func siftUp(_ start: Int) {
        var index = start
        let entry = heap[index]
        while index > 0 {
            let parent = (index - 1) / 2
            guard entry.deadline < heap[parent].deadline else { break }
            move(from: parent, to: index)
            index = parent
        }
        place(entry, at: index)
    }

    private func siftDown(_ start: Int) {
        var index = start
        let entry = heap[index]
        while true {
            var child = 2 * index + 1
            guard child < heap.count else { break }
            if child + 1 < heap.count && heap[child + 1].deadline < heap[child].deadline { child += 1 }
            guard heap[child].deadline < entry.deadline else { break }
            move(from: child, to: index)
            index = child
        }
        place(entry, at: index)
    }

    private func move(from source: Int, to destination: Int) {
        heap[destination] = heap[source]
        heap[destination].owner.deadlineSlot = destination
    }

    private func place(_ entry: Entry, at index: Int) {
        heap[index] = entry
        entry.owner.deadlineSlot = index
    }
}

extension DeadlineQueue: DeadlineOwner {
    /// Calls every owner whose deadline has passed, each taken out first: it sets its next one.
    func deadlinePassed() {
        timer.fired()
        let now = eventLoop.now
        var due: [Owner] = []
        while let first = heap.first, first.deadline <= now {
            remove(first.owner)
            due.append(first.owner)
        }
        // Called once all are out: an owner that sets a deadline already past is called
        // again on the loop's next turn, not in this one for ever.
        for owner in due { owner.deadlinePassed() }
        if let first = heap.first { timer.arm(at: first.deadline, on: eventLoop, owner: self) }
    }
}

@available(*, unavailable)
extension DeadlineQueue: Sendable {}
