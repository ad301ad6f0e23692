import NIOCore

/// What a `DeadlineQueue` calls once the deadline set for it has passed; it keeps its own
/// place in the queue, so that moving or removing its deadline takes no search.
protocol QueuedDeadlineOwner: AnyObject {
    /// Its entry's index in the queue, `DeadlineQueue.notQueued` when it has none; only the
    /// queue changes it.
    var deadlineSlot: Int { get set }
    /// The deadline of its entry, while it has one; only the queue changes it.
    var queuedDeadline: NIODeadline { get set }
    func deadlinePassed()
}

/// The deadlines of many owners on one event loop (every HTTP/1 connection of a loop) in
/// one min-heap behind one scheduled callback, as nginx keeps one timer tree.
///
/// Why not a scheduled callback per connection: NIO keeps each in its loop's task heap at
/// about 64 bytes (twice that while the heap's array is half empty), which an idle
/// connection holds for its whole idle timeout, and it cancels one by a linear search of
/// that heap. Here an entry is 24 bytes.
///
/// As `EarliestDeadlineTimer`, an owner's entry moves only to an earlier deadline: a later
/// one is left for when the entry falls due, and the owner, called then, sets it again. A
/// busy connection, whose deadline moves later with every request, so moves nothing.
/// - Important: used on one event loop, the one it schedules on.
final class DeadlineQueue<Owner: QueuedDeadlineOwner> {
    static var notQueued: Int { -1 }

    let eventLoop: any EventLoop
    private var heap = DeadlineHeap<Owner>()
    /// Set for the earliest deadline (or an earlier one, moved later since).
    private var timer = EarliestDeadlineTimer()

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// How many owners have a deadline.
    var count: Int { heap.count }

    /// Has `owner` called once `deadline` has passed, unless it is queued for one no later.
    func set(_ deadline: NIODeadline, for owner: Owner) {
        // The usual call, a later deadline for a queued owner, is answered from the owner:
        // the heap is a class property, and even reading it costs dynamic exclusivity checks.
        guard owner.deadlineSlot == Self.notQueued || deadline < owner.queuedDeadline else { return }
        guard heap.set(deadline, for: owner) else { return }
        timer.arm(at: deadline, on: eventLoop, owner: self)
    }

    /// Takes `owner`'s deadline out, if it has one.
    func remove(_ owner: Owner) {
        heap.remove(owner)
    }
}

/// `DeadlineQueue`'s heap, a value: its sifting runs without a class property's dynamic
/// exclusivity checks (they made the first version cost a keep-alive request about 1,100
/// instructions more, callgrind), and moves entries with `swapAt`, without reference counting.
private struct DeadlineHeap<Owner: QueuedDeadlineOwner> {
    private struct Entry {
        var deadline: NIODeadline
        let owner: Owner
    }

    private var entries: [Entry] = []

    var count: Int { entries.count }
    var first: (deadline: NIODeadline, owner: Owner)? { entries.first.map { ($0.deadline, $0.owner) } }

    /// Queues `owner` for `deadline`, or moves it there if that is earlier than its own.
    /// Returns whether it did either.
    mutating func set(_ deadline: NIODeadline, for owner: Owner) -> Bool {
        let slot = owner.deadlineSlot
        if slot == DeadlineQueue<Owner>.notQueued {
            entries.append(Entry(deadline: deadline, owner: owner))
            owner.deadlineSlot = entries.count - 1
            owner.queuedDeadline = deadline
            siftUp(entries.count - 1)
            return true
        }
        guard deadline < entries[slot].deadline else { return false }
        entries[slot].deadline = deadline
        owner.queuedDeadline = deadline
        siftUp(slot)
        return true
    }

    mutating func remove(_ owner: Owner) {
        let slot = owner.deadlineSlot
        guard slot != DeadlineQueue<Owner>.notQueued else { return }
        owner.deadlineSlot = DeadlineQueue<Owner>.notQueued
        let last = entries.count - 1
        if slot != last {
            entries.swapAt(slot, last)
            entries[slot].owner.deadlineSlot = slot
        }
        entries.removeLast()
        guard slot < entries.count else { return }
        if slot > 0 && entries[slot].deadline < entries[(slot - 1) / 2].deadline { siftUp(slot) } else { siftDown(slot) }
    }

    private mutating func siftUp(_ start: Int) {
        var index = start
        while index > 0 {
            let parent = (index - 1) / 2
            guard entries[index].deadline < entries[parent].deadline else { return }
            swap(index, parent)
            index = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var index = start
        while true {
            var child = 2 * index + 1
            guard child < entries.count else { return }
            if child + 1 < entries.count && entries[child + 1].deadline < entries[child].deadline { child += 1 }
            guard entries[child].deadline < entries[index].deadline else { return }
            swap(index, child)
            index = child
        }
    }

    private mutating func swap(_ a: Int, _ b: Int) {
        entries.swapAt(a, b)
        entries[a].owner.deadlineSlot = a
        entries[b].owner.deadlineSlot = b
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
