#if canImport(Glibc)
import Glibc
#endif

/// A successor starts at a higher priority than the generation it replaces, and returns to
/// that generation's once it has reported ready.
///
/// Under load the old generation's event loops keep every core busy, and a successor at the
/// same priority gets only its share of them: its start-up, about 9 ms of CPU, took several
/// times that from SIGHUP to ready. The spawn raises the successor's main thread (its dynamic
/// loader and the Swift runtime's start run raised, and so do the threads it starts);
/// `raiseOthers()` then raises the threads libdispatch started meanwhile with nice values of
/// its own (Swift's tasks run on them). Raising priority needs CAP_SYS_NICE or an
/// RLIMIT_NICE that allows it (systemd's `LimitNICE=`); without either the successor starts
/// at its predecessor's priority.
struct StartupPriority: Sendable, Equatable {
    /// How many nice steps above its predecessor's a successor starts.
    static let boost: Int32 = 10
    /// The nice value a successor returns to once ready: its predecessor's.
    static let variable = "ZERODT_BASE_NICE"
    /// `PRIO_PROCESS`, as the functions take it: on Linux it names one thread.
    private static let thread = __priority_which_t(PRIO_PROCESS.rawValue)

    /// The nice value to return to.
    let base: Int32
    /// The one the spawn gave the main thread, and every thread started from it.
    let raised: Int32

    /// The calling thread's nice value, and the one a successor it spawns starts at.
    static func forSuccessor() -> (base: Int32, start: Int32) {
        let base = getpriority(thread, 0)
        return (base, max(-20, base - boost))
    }

    /// This process's, when its predecessor named a base in `environment` and the main
    /// thread (`mainThread`, the pid) runs above it; nil otherwise.
    init?(environment: [String: String], mainThread: Int32) {
        guard let base = environment[Self.variable].flatMap(Int32.init), (-20...19).contains(base) else { return nil }
        let raised = getpriority(Self.thread, id_t(mainThread))
        guard raised < base else { return nil }
        self.base = base
        self.raised = raised
    }

    /// Raises the threads libdispatch has started meanwhile, which it gave nice values of
    /// their own (Swift's tasks run on them): the rest of the start-up runs ahead too.
    /// - Returns: each raised thread's own value, for `restore(_:)`.
    func raiseOthers() -> [id_t: Int32] {
        var own: [id_t: Int32] = [:]
        Self.forEachThread { tid, nice in
            guard nice > raised, setpriority(Self.thread, tid, raised) == 0 else { return false }
            own[tid] = nice
            return true
        }
        return own
    }

    /// Returns every thread of this process still at `raised` to its own value in `own`, or
    /// else to `base`; threads libdispatch has set otherwise keep theirs. Looked at again
    /// until none is left: a raised thread may start another meanwhile.
    func restore(_ own: [id_t: Int32]) {
        for _ in 0..<8 {
            let lowered = Self.forEachThread { tid, nice in
                guard nice == raised else { return false }
                _ = setpriority(Self.thread, tid, own[tid] ?? base)
                return true
            }
            if lowered == 0 { return }
        }
    }

    /// Calls `body` with each thread of this process and its nice value.
    /// - Returns: for how many threads `body` returned true.
    @discardableResult
    private static func forEachThread(_ body: (id_t, Int32) -> Bool) -> Int {
        guard let directory = opendir("/proc/self/task") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let tid = withUnsafeBytes(of: entry.pointee.d_name) { name in
                id_t(String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)) ?? 0
            }
            // getpriority's -1 is a nice value too, and errno tells a gone thread from it.
            errno = 0
            let nice = getpriority(Self.thread, tid)
            if tid > 0, errno == 0, body(tid, nice) { count += 1 }
        }
        return count
    }
}
