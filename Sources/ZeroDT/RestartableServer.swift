/// A server the runtime can start, stop accepting on and drain: anything that serves
/// sockets from a `ListenerSet` and can finish its work by a deadline of its own.
///
/// The runtime makes sure that two generations never accept at the same time: a successor
/// `start()`s, reports ready, and calls `startAccepting()` only once its predecessor has
/// called `stopAccepting()`. Clients arriving in between wait in the kernel's backlog.
public protocol RestartableServer: Sendable {
    /// Adopts the server's listeners without accepting yet.
    /// - Throws: when a socket cannot be adopted; the runtime then reports the failure.
    func start() async throws

    /// Begins accepting connections.
    func startAccepting()

    /// Stops accepting; connections already accepted are untouched. Must only close the
    /// server's own duplicates of listening fds: a successor accepts on the same sockets.
    func stopAccepting() async

    /// Lets in-flight work finish, closing every connection by the server's own drain
    /// deadline. Returns once all are closed; when the calling task is cancelled (a second
    /// stop signal), closes whatever is left at once. The runtime calls `stopAccepting()`
    /// first, and may call `resumeAccepting()` while a drain goes on: a drain never stops
    /// accepting by itself.
    /// - Important: must only close the server's duplicates of listening fds, never the
    ///   `Listener`s themselves: a successor may be accepting on the same sockets.
    func drain() async

    /// Accepts again after `stopAccepting()` (the successor died during the hand-over).
    /// Connections accepted from now on are served normally; a drain under way still
    /// finishes the connections it was draining, and only those.
    /// - Throws: when a socket cannot be adopted again.
    func resumeAccepting() async throws

    /// On a stop (not a hand-over), how long the server goes on accepting before it stops,
    /// while health checks report it draining (`Runtime.Hooks.stopping`). No default: a
    /// server that wraps another must pass its delay on.
    var shutdownDelay: Duration { get }
}

