import NIOCore

/// What an `EarliestDeadlineTimer` calls once its deadline has passed.
protocol DeadlineOwner: AnyObject {
    func deadlinePassed()
}

/// One timer for an owner with many deadlines in turn (the earliest of a `DeadlineQueue`'s
/// connections; an HTTP/2 connection's streams'), moved only when a deadline
/// comes earlier than the one it is set for. A later deadline is left for when the timer
/// fires: its owner then acts on what has passed and sets the next. So a busy connection,
/// whose deadline moves later with every request, does not schedule and cancel a task per
/// request.
///
/// A scheduled callback whose only state is the owner fits in the event loop's task list,
/// where a scheduled task allocates a promise and closures, and keeps them for as long as
/// the connection is idle.
/// - Important: used on one event loop, the one it schedules on.
struct EarliestDeadlineTimer {
    private var scheduled: NIOScheduledCallback?
    private var deadline: NIODeadline?

    /// Has `owner` called at `deadline`, unless the timer is set for one no later.
    mutating func arm(at deadline: NIODeadline, on eventLoop: any EventLoop, owner: some DeadlineOwner) {
        if let current = self.deadline, scheduled != nil, current <= deadline { return }
        scheduled?.cancel()
        self.deadline = deadline
        // Fails only on an event loop shutting down, which closes its connections anyway.
        scheduled = try? eventLoop.scheduleCallback(at: deadline, handler: Callback(owner: owner))
    }

    /// The timer has fired: the next `arm` sets it, whatever its deadline.
    mutating func fired() {
        scheduled = nil
        deadline = nil
    }

    mutating func cancel() {
        scheduled?.cancel()
        fired()
    }

    private struct Callback<Owner: DeadlineOwner>: NIOScheduledCallbackHandler, @unchecked Sendable {
        // Unchecked: scheduled on the owner's event loop, which alone runs it.
        let owner: Owner

        func handleScheduledCallback(eventLoop: some EventLoop) {
            owner.deadlinePassed()
        }
    }
}
