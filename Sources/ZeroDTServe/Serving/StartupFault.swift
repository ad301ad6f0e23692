import Foundation

/// A test-only knob for the rollback tests: when `ZERODT_TEST_STARTUP_FAULT` names a file,
/// a successor (generation 2 and later) reads it at start and, if it says `crash`, `exit`
/// or `hang`, does that instead of starting. Generation 1 ignores it, so a test can start
/// a server normally and then make its successors fail. Debug builds only: a release
/// binary has no such backdoor.
enum StartupFault {
    static let variable = "ZERODT_TEST_STARTUP_FAULT"

    static func inject(generation: Int) async {
        #if DEBUG
        guard generation > 1, let path = ProcessInfo.processInfo.environment[variable],
              let text = try? String(contentsOfFile: path, encoding: .utf8)
        else { return }
        switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
        case "crash":
            abort()
        case "exit":
            exit(3)
        case "hang":
            while true { try? await Task.sleep(for: .seconds(3600)) }
        default:
            return
        }
        #endif
    }
}
