import Foundation
import Testing

/// Why a spawned process did not do what a test waited for.
struct ProcessTestError: Error, CustomStringConvertible {
    let description: String
}

/// How a process ended and everything it wrote.
struct ProcessOutput: Sendable, CustomStringConvertible {
    /// The exit status, or the signal number when `signalled` is true.
    var status: Int32
    /// True when the process was ended by a signal rather than by exiting.
    var signalled: Bool
    var standardOutput: String
    var standardError: String

    var description: String {
        "\(signalled ? "signal" : "exit") \(status)\n--- stdout ---\n\(standardOutput)--- stderr ---\n\(standardError)"
    }
}

/// A child process whose output is collected as it arrives, so that a test can wait for
/// a line on stderr (such as a ready message) while the process keeps running.
///
/// Every wait has a deadline. A `RunningProcess` that is released kills and reaps its
/// child if it still runs, and kills every process that it started, however far removed
/// (`kill()`), so a test never leaves servers behind; one still alive after that fails the
/// test.
final class RunningProcess: @unchecked Sendable {
    /// What the lock protects; `condition` is broadcast whenever any of it changes.
    private struct State {
        var standardOutput = Data()
        var standardError = Data()
        var openStreams = 2
        var exit: (status: Int32, signalled: Bool)?
    }

    /// The child's process id.
    var pid: Int32 { process.processIdentifier }
    let executable: String
    /// `ZERODT_TEST_PROCESS=<unique>`, in the process's environment: it passes it on to
    /// every process it starts, so that they can be found wherever they are in the tree.
    let tag: String
    private static let tagVariable = "ZERODT_TEST_PROCESS"
    private let process: Process
    private let condition = NSCondition()
    private var state = State()

    /// Starts `executable` with stdin from /dev/null (or `standardInput`) and stdout/stderr captured.
    /// - Parameter environment: variables added to (or replacing those of) the test's own environment.
    init(executable: String, arguments: [String], environment: [String: String] = [:],
         currentDirectory: String? = nil, standardInput: FileHandle = .nullDevice) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let unique = UUID().uuidString
        tag = "\(Self.tagVariable)=\(unique)"
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            .merging([Self.tagVariable: unique]) { $1 }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let output = Pipe()
        let error = Pipe()
        process.standardInput = standardInput
        process.standardOutput = output
        process.standardError = error
        self.process = process
        self.executable = executable
        process.terminationHandler = { [condition, weak self] process in
            condition.lock()
            self?.state.exit = (process.terminationStatus, process.terminationReason == .uncaughtSignal)
            condition.broadcast()
            condition.unlock()
        }
        try Self.spawnWithEmptySignalMask(process)
        // Our copies of the write ends must go, or the readers never see end-of-file.
        try? output.fileHandleForWriting.close()
        try? error.fileHandleForWriting.close()
        startReader(output.fileHandleForReading, isStandardError: false)
        startReader(error.fileHandleForReading, isStandardError: true)
    }

    /// Swift concurrency's worker threads block most signals and `Process` passes the
    /// caller's mask on, so a child started straight from a test would sit through SIGTERM
    /// and SIGHUP. Start it from a thread that blocks nothing instead.
    private static func spawnWithEmptySignalMask(_ process: Process) throws {
        final class Spawn: @unchecked Sendable {
            let process: Process
            var failure: (any Error)?
            let done = DispatchSemaphore(value: 0)
            init(_ process: Process) { self.process = process }
        }
        let spawn = Spawn(process)
        Thread {
            var empty = sigset_t()
            sigemptyset(&empty)
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            do { try spawn.process.run() } catch { spawn.failure = error }
            spawn.done.signal()
        }.start()
        spawn.done.wait()
        if let failure = spawn.failure { throw failure }
    }

    deinit {
        kill()
        checkNothingLeft()
    }

    /// Records an issue, and kills them, when processes this one started (its `tag`) are
    /// still alive a while after it has been killed: a test must not leave servers behind.
    private func checkNothingLeft() {
        // A killed process takes a moment to go; one that was not killed stays.
        guard poll(timeout: .seconds(5), { ProcessTree.carrying(tag).isEmpty ? true : nil }) == nil else { return }
        let left = ProcessTree.carrying(tag)
        let described = left.map(ProcessTree.describe).joined(separator: "\n")
        Issue.record("processes that \(executable) (pid \(pid)) started are still running after its cleanup:\n\(described)")
        for member in left { Foundation.kill(member, SIGKILL) }
    }

    private func startReader(_ handle: FileHandle, isStandardError: Bool) {
        let thread = Thread { [condition, weak self] in
            while true {
                let chunk = handle.availableData
                condition.lock()
                if chunk.isEmpty {
                    self?.state.openStreams -= 1
                } else if isStandardError {
                    self?.state.standardError.append(chunk)
                } else {
                    self?.state.standardOutput.append(chunk)
                }
                condition.broadcast()
                condition.unlock()
                if chunk.isEmpty || self == nil { break }
            }
            try? handle.close()
        }
        thread.start()
    }

    /// Waits until `predicate` holds or `timeout` passes; returns whether it held.
    private func wait(timeout: Duration, until predicate: (State) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(timeout.components.seconds)
            + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(state) {
            if !condition.wait(until: deadline) { return predicate(state) }
        }
        return true
    }

    private func snapshot() -> State {
        condition.lock()
        defer { condition.unlock() }
        return state
    }

    /// Everything written to stdout so far.
    var standardOutput: String { String(decoding: snapshot().standardOutput, as: UTF8.self) }
    /// Everything written to stderr so far.
    var standardError: String { String(decoding: snapshot().standardError, as: UTF8.self) }
    /// Whether the process has not been reaped yet.
    var isRunning: Bool { snapshot().exit == nil }

    /// Waits until stderr contains `text` and returns all of stderr so far.
    /// - Throws: when the process exits or `timeout` passes first.
    @discardableResult
    func waitForStandardError(containing text: String, timeout: Duration = .seconds(10)) throws -> String {
        try waitForStandardError(toSatisfy: "contain '\(text)'", timeout: timeout) { $0.contains(text) }
    }

    /// Waits until stderr satisfies `predicate` (described by `expectation` in the error) and
    /// returns all of stderr so far.
    /// - Throws: when the process exits or `timeout` passes first.
    @discardableResult
    func waitForStandardError(toSatisfy expectation: String, timeout: Duration = .seconds(10),
                              _ predicate: (String) -> Bool) throws -> String {
        try waitFor(\.standardError, named: "stderr", toSatisfy: expectation, timeout: timeout, predicate)
    }

    /// Waits until stdout satisfies `predicate` (described by `expectation` in the error) and
    /// returns all of stdout so far.
    /// - Throws: when the process exits or `timeout` passes first.
    @discardableResult
    func waitForStandardOutput(toSatisfy expectation: String, timeout: Duration = .seconds(10),
                               _ predicate: (String) -> Bool) throws -> String {
        try waitFor(\.standardOutput, named: "stdout", toSatisfy: expectation, timeout: timeout, predicate)
    }

    private func waitFor(_ stream: KeyPath<State, Data>, named name: String, toSatisfy expectation: String,
                         timeout: Duration, _ predicate: (String) -> Bool) throws -> String {
        let found = wait(timeout: timeout) {
            predicate(String(decoding: $0[keyPath: stream], as: UTF8.self)) || $0.openStreams == 0
        }
        let current = String(decoding: snapshot()[keyPath: stream], as: UTF8.self)
        guard found, predicate(current) else {
            throw ProcessTestError(description: "\(executable) (pid \(pid)) \(name) did not \(expectation) within "
                                   + "\(timeout); \(name) so far:\n\(current)")
        }
        return current
    }

    /// Sends `signal` to the process.
    func send(_ signal: Int32) {
        if isRunning { Foundation.kill(pid, signal) }
    }

    /// Waits for the process to exit and for its stdout and stderr to close, which also
    /// waits for any children it left holding them.
    /// - Throws: when `timeout` passes first; the process is then killed.
    func waitForExit(timeout: Duration = .seconds(10)) throws -> ProcessOutput {
        guard wait(timeout: timeout, until: { $0.exit != nil && $0.openStreams == 0 }) else {
            let partial = "stdout so far:\n\(standardOutput)\nstderr so far:\n\(standardError)"
            kill()
            throw ProcessTestError(description: "\(executable) (pid \(pid)) still running after \(timeout); killed it.\n"
                                   + partial)
        }
        let final = snapshot()
        return ProcessOutput(status: final.exit!.status, signalled: final.exit!.signalled,
                             standardOutput: String(decoding: final.standardOutput, as: UTF8.self),
                             standardError: String(decoding: final.standardError, as: UTF8.self))
    }

    /// Kills the process and every process it started, and those started in turn (`tag`),
    /// with SIGKILL, and reaps it. They are found by their environment, not by the tree: a
    /// supervisor's generations lead process groups of their own, and a generation whose
    /// predecessor has exited belongs to pid 1.
    func kill() {
        // Stopped first, then killed: a running one could start a successor meanwhile.
        var stopped: [Int32] = []
        for _ in 0..<10 {
            let found = (isRunning ? [pid] : []) + ProcessTree.carrying(tag)
            let new = found.filter { !stopped.contains($0) }
            if new.isEmpty { break }
            for member in new { Foundation.kill(member, SIGSTOP) }
            stopped += new
        }
        for member in stopped { Foundation.kill(member, SIGKILL) }
        process.waitUntilExit()
    }

    /// Runs `executable` to completion.
    /// - Throws: when it does not finish within `timeout` (it is killed), or cannot start.
    static func run(_ executable: String, arguments: [String], environment: [String: String] = [:],
                    currentDirectory: String? = nil, timeout: Duration = .seconds(30)) throws -> ProcessOutput {
        try RunningProcess(executable: executable, arguments: arguments, environment: environment,
                           currentDirectory: currentDirectory)
            .waitForExit(timeout: timeout)
    }
}
