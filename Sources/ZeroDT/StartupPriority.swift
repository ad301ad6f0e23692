#if canImport(Glibc)
import Glibc
#endif

/// A successor starts at a higher priority than the generation it replaces, and returns to
/// that generation's once it has reported ready.
///
/// Under load the old generation's event loops keep every core busy, and a successor at the
/// same priority gets only its share of them. The spawn raises the successor's main thread,
/// so the dynamic loader, the Swift runtime's start and whatever that thread starts run ahead
/// of them (about 40% of a successor's CPU on the way to ready); libdispatch gives the
/// threads of its pool, Swift's tasks among them, a nice value of its own, which is left as
/// it is. Raising priority needs CAP_SYS_NICE or an RLIMIT_NICE that allows it (systemd's
/// `LimitNICE=`); without either the successor starts at its predecessor's priority.
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

    /// Returns every thread of this process still at `raised` to `base`; those libdispatch
    /// has set otherwise keep theirs. Looked at again until none is left: a raised thread
    /// may start another meanwhile.
    func restore() {
        for _ in 0..<8 {
            if lowered() == 0 { return }
        }
    }

    /// Sets each thread at `raised` to `base`; returns how many there were.
    private func lowered() -> Int {
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
            guard tid > 0, errno == 0, nice == raised else { continue }
            _ = setpriority(Self.thread, tid, base)
            count += 1
        }
        return count
    }
}
