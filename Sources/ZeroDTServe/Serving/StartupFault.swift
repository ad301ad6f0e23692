import Foundation
import ZeroDT

/// A test-only knob for the rollback and successor-death tests: when
/// `ZERODT_TEST_STARTUP_FAULT` names a file, a successor (generation 2 and later) reads it
/// and does what it says: `crash`, `exit` or `hang` instead of starting, or `kill:STAGE` to
/// SIGKILL itself on reaching `STAGE` (`Stage`). Generation 1 ignores it, so a test can
/// start a server normally and then make its successors fail. Debug builds only: a release
/// binary has no such backdoor.
enum StartupFault {
    static let variable = "ZERODT_TEST_STARTUP_FAULT"

    /// Where a successor can be made to die, in the order it gets there.
    enum Stage: String {
        /// Just started: nothing loaded yet.
        case spawn
        /// The config is loaded.
        case config
        /// Its sockets are adopted, before it says it is ready (`preServe`).
        case adopt
        case ready, tookOver = "took-over", accepting
    }

    static func inject(generation: Int) async {
        #if DEBUG
        switch instruction(generation: generation) {
        case "crash":
            abort()
        case "exit":
            exit(3)
        case "hang":
            while true { try? await Task.sleep(for: .seconds(3600)) }
        default:
            reached(.spawn, generation: generation)
        }
        #endif
    }

    /// SIGKILLs this process when the knob says `kill:STAGE` for `stage`.
    static func reached(_ stage: Stage, generation: Int) {
        #if DEBUG
        if instruction(generation: generation) == "kill:\(stage.rawValue)" { kill(getpid(), SIGKILL) }
        #endif
    }

    /// Calls `reached` at the hand-over's stages, in debug builds.
    static func observe(_ options: inout Runtime.Options, generation: Int) {
        #if DEBUG
        options.stageReached = { stage in
            if let stage = Stage(rawValue: stage.rawValue) { reached(stage, generation: generation) }
        }
        #endif
    }

    private static func instruction(generation: Int) -> String? {
        guard generation > 1, let path = ProcessInfo.processInfo.environment[variable],
              let text = try? String(contentsOfFile: path, encoding: .utf8)
        else { return nil }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
