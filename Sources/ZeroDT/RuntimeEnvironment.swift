/// Every effect of the restart driver behind one seam, as tableflip's `env` is: processes,
/// the pid file, systemd and time. `SystemEnvironment` talks to the OS; tests use a fake.
protocol RuntimeEnvironment: Sendable {
    /// Starts generation `generation` with every claimed listener and a control channel.
    /// - Throws: when it cannot be spawned; nothing is left running then.
    func launchSuccessor(generation: Int) async throws -> any SuccessorProcess
    /// Writes this process's pid to the pid file, if there is one.
    func writePIDFile() throws
    func notify(_ notification: RestartStateMachine.Notification)
    /// Sleeps; throws when cancelled.
    func sleep(for duration: Duration) async throws
    /// Tells the supervisor, if there is one (`Supervisor`).
    func tellSupervisor(_ news: SupervisorNews) throws
}


/// The parent's handle on a successor process.
protocol SuccessorProcess: Sendable {
    var pid: Int32 { get }
    /// What it says, in order (`ready`, `failed`, `tookOver`, `accepting`, `stopping`); the
    /// stream ends when its end of the control channel closes, which happens when it exits.
    var messages: AsyncStream<ControlMessage> { get }
    /// Waits for it to exit and reaps it (call once); nil when the task is cancelled.
    func waitForExit() async -> ProcessStatus?
    /// Whether it has exited, without waiting or reaping.
    var hasExited: Bool { get }
    /// SIGKILL, unless it is already reaped (its pid may belong to another process by then).
    func kill()
    /// Tells it this generation reached `stage`, with the app's hand-over `state`.
    func send(_ stage: RestartStateMachine.Stage, state: [UInt8]?) async
    /// Asks it to restart once more (SIGHUP).
    func forwardRestart()
    /// Asks it to stop, as a `stop` command would (not a signal: it does not count toward
    /// the second signal that cuts a drain short).
    func requestStop() async
}

/// A successor's handle on the generation that started it.
protocol PredecessorProcess: Sendable {
    var pid: Int32 { get }
    func reportReady(generation: Int, adopted: [Int], unixPaths: [String]) async
    func reportFailed(_ failure: SuccessorFailure) async
    /// Sends a progress message (`tookOver`, `accepting`, `stopping`) if the predecessor's
    /// release knows it.
    func report(_ message: ControlMessage) async
    /// Returns once the predecessor has reached `stage` or is gone, with the hand-over state
    /// it sent along (nil when none, when it is gone, or when the task was cancelled first).
    func wait(for stage: RestartStateMachine.Stage) async -> [UInt8]?
    /// Returns once its end of the control channel has closed (it exited or died), or early
    /// when the task is cancelled.
    func waitUntilExited() async
    /// SIGKILL (a stateful predecessor that did not drain within `wait_parent`).
    func kill()
    /// Whether its release understands `stopping` (and `stop`).
    var knowsStopping: Bool { get }
    /// Returns true once it asks this generation to stop; false at EOF or cancellation.
    func waitForStopRequest() async -> Bool
}
