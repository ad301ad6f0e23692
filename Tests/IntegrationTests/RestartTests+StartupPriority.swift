import Foundation
import Synchronization
import Testing

extension RestartTests {
    /// A successor's main thread starts ahead of its predecessor (nice 10 lower, when this
    /// process may give that), and once it has reported ready no thread of it is left there
    /// (`StartupPriority`).
    @Suite(.serialized) struct StartupPriority {
        /// The nice value of each thread of `pid`, from `/proc` (field 19 of `stat`), by tid.
        static func niceValues(of pid: Int32) -> [Int32: Int32] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            var values: [Int32: Int32] = [:]
            for tid in tasks {
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")")
                else { continue }
                // After the command's closing parenthesis: state is field 3, nice field 19.
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 16, let id = Int32(tid) { values[id] = Int32(fields[16]) }
            }
            return values
        }

        /// Whether a process of this user may lower its nice value by `steps` (CAP_SYS_NICE
        /// or RLIMIT_NICE): tried on a thread of its own, which ends with the try.
        static func mayRaisePriority(by steps: Int32) -> Bool {
            let permitted = Mutex(false)
            let done = DispatchSemaphore(value: 0)
            Thread {
                let thread = __priority_which_t(PRIO_PROCESS.rawValue)
                permitted.withLock { $0 = setpriority(thread, 0, getpriority(thread, 0) - steps) == 0 }
                done.signal()
            }.start()
            done.wait()
            return permitted.withLock { $0 }
        }

        @Test func aSuccessorStartsAheadAndReturnsOnceReady() throws {
            let faultFile = FileManager.default.temporaryDirectory.appendingPathComponent("zerodt-fault-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: faultFile) }
            try "hang".write(toFile: faultFile, atomically: true, encoding: .utf8)
            let (family, address) = try RestartTests.start(
                { RestartTests.config($0, pidFile: $1, extra: "restart: { wait_child: 3s }") },
                environment: ["ZERODT_TEST_STARTUP_FAULT": faultFile])
            let base = try #require(Self.niceValues(of: family.first.pid)[family.first.pid])
            let raised = Self.mayRaisePriority(by: 10) ? max(-20, base - 10) : base

            // A successor that never reports ready keeps the priority it started at.
            kill(family.first.pid, SIGHUP)
            let hanging = try #require(poll(timeout: .seconds(10)) { ProcessTree.children(of: family.first.pid).first })
            // Once it runs threads of its own it is well past its exec.
            let starting = try #require(poll(timeout: .seconds(10)) { () -> [Int32: Int32]? in
                let values = Self.niceValues(of: hanging)
                return values.count > 1 ? values : nil
            })
            #expect(starting[hanging] == raised, "\(starting), expected \(raised) for the main thread")
            try family.first.waitForStandardError(containing: "restart failed")

            // One that does returns every thread left at that priority to its predecessor's.
            try "none".write(toFile: faultFile, atomically: true, encoding: .utf8)
            let successor = try family.restart()
            let serving = Self.niceValues(of: successor)
            #expect(serving.count > 1 && serving[successor] == base, "\(serving), expected \(base) for the main thread")
            if raised != base { #expect(!serving.values.contains(raised), "\(serving): a thread still at \(raised)") }
            #expect(try ServeTests.get("/hello", from: address).text == RestartTests.body)
            try family.stop()
        }
    }
}
