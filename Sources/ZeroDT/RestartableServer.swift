/// A server the runtime can start, stop accepting on and drain: anything that serves
/// sockets from a `ListenerSet` and can finish its work by a deadline of its own.
public protocol RestartableServer: Sendable {
    /// Starts accepting on the server's listeners.
    /// - Throws: when a socket cannot be adopted; the runtime then reports the failure.
    func start() async throws

    /// Stops accepting and lets in-flight work finish, closing every connection by the
    /// server's own drain deadline. Returns once all are closed.
    /// - Important: must only close the server's duplicates of listening fds, never the
    ///   `Listener`s themselves: a successor may be accepting on the same sockets.
    func drain() async
}
