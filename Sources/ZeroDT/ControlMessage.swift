/// What a predecessor and its successor say to each other over their socketpair.
enum ControlMessage: Codable, Equatable, Sendable {
    /// Parent → child, first: who to kill if a stateful wait times out (never `getppid()`,
    /// which names init once the parent is gone).
    case hello(parentPID: Int32, generation: Int)
    /// Child → parent: serving can be handed over. `adopted` lists the inherited sockets
    /// (by their position in the handover) the child took; `unixPaths` every unix socket
    /// path the child's configuration declares.
    case ready(pid: Int32, generation: Int, adopted: [Int], unixPaths: [String])
    /// Child → parent: it cannot take over, and why.
    case failed(pid: Int32, failure: SuccessorFailure)
    /// Child → parent: the parent's `acceptingStopped` arrived and the pid file names the
    /// child: the restart has succeeded. An older parent ignores it.
    case tookOver(pid: Int32)
    /// Child → parent: it accepts connections now. A stateful parent waits for this before it
    /// exits; an older child never sends it, and an older parent ignores it.
    case accepting(pid: Int32)
    /// Parent → child: the parent no longer accepts; the child may start (stateless mode).
    case acceptingStopped
    /// Parent → child: every connection is drained; the parent exits next.
    case shutdownComplete
}
