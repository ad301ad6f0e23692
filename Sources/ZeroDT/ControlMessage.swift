import Foundation

/// What a predecessor and its successor say to each other over their socketpair.
///
/// Generations of different releases talk to each other at every binary upgrade, so the
/// format only grows: a receiver skips a message it does not know, new fields are optional,
/// and a message an older peer would not know is sent only to a peer whose `version` (in
/// `hello` or `ready`) says it knows it. The first release sent no `version`.
///
/// `acceptingStopped` and `shutdownComplete` may carry the app's hand-over state
/// (`Runtime.HandOverState`); a release that knows no state ignores the field, and one that
/// does reads its absence from an older peer as no state.
enum ControlMessage: Codable, Equatable, Sendable {
    /// What this release speaks: 2 adds `tookOver`, `accepting`, `stopping`, `stop` and
    /// `failure`.
    static let currentVersion = 2

    /// Parent → child, first: who to kill if a stateful wait times out (never `getppid()`,
    /// which names init once the parent is gone).
    case hello(parentPID: Int32, generation: Int, version: Int?)
    /// Child → parent: serving can be handed over. `adopted` lists the inherited sockets
    /// (by their position in the handover) the child took; `unixPaths` every unix socket
    /// path the child's configuration declares.
    case ready(pid: Int32, generation: Int, adopted: [Int], unixPaths: [String], version: Int?)
    /// Child → parent: it cannot take over, and why: `reason` is the whole text (what the
    /// first release reads), `failure` the same as a value.
    case failed(pid: Int32, reason: String, failure: SuccessorFailure?)
    /// Child → parent: the parent's `acceptingStopped` arrived and the pid file names the
    /// child: the restart has succeeded.
    case tookOver(pid: Int32)
    /// Child → parent: it accepts connections now.
    case accepting(pid: Int32)
    /// Child → parent: a stop reached the child; the parent must not serve again.
    case stopping(pid: Int32)
    /// Parent → child: the parent no longer accepts; the child may start (stateless mode).
    /// `state`: the parent's hand-over state at that moment.
    case acceptingStopped(state: Data?)
    /// Parent → child: every connection is drained; the parent exits once the child confirms.
    /// `state`: the parent's final hand-over state, with what its drain added.
    case shutdownComplete(state: Data?)
    /// Parent → child: a stop reached the parent during the hand-over; the child stops too.
    case stop

    /// The failure a `failed` message describes, from either release.
    static func failure(reason: String, failure: SuccessorFailure?) -> SuccessorFailure {
        failure ?? SuccessorFailure(summary: String(reason.split(separator: "\n").first ?? ""), detail: reason)
    }
}
