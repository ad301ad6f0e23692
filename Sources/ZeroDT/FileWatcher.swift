#if canImport(Glibc)
import Glibc
#endif

/// Notices when watched files change and have settled, for `restart.watch`.
///
/// A change counts once the file's identity (inode, size, mtime) differs from the last one
/// acted upon and has stayed the same for `settle`: a binary still being copied is never
/// run. A change that leads to a failed restart is not retried until the file changes
/// again, because the baseline moves on whatever the outcome.
struct FileWatcher: Sendable {
    /// What identifies a version of a file; nil when it does not exist.
    struct Signature: Sendable, Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: timespec

        static func == (a: Signature, b: Signature) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
        }
    }

    /// One file's baseline and the change being watched settle.
    struct Tracker: Sendable, Equatable {
        var baseline: Signature?
        var candidate: Signature?
        var candidateSince: ContinuousClock.Instant?

        /// Feeds one observation; returns true when a settled change should trigger a restart.
        mutating func observe(_ signature: Signature?, at now: ContinuousClock.Instant, settle: Duration) -> Bool {
            guard signature != baseline, let signature else {
                candidate = nil
                candidateSince = nil
                return false
            }
            if signature != candidate {
                candidate = signature
                candidateSince = now
                return false
            }
            guard let since = candidateSince, now - since >= settle else { return false }
            baseline = signature
            candidate = nil
            candidateSince = nil
            return true
        }
    }

    let paths: [String]
    let interval: Duration
    let settle: Duration
    /// The versions this process started with, taken when the watcher is made: a change
    /// between then and the first poll still counts.
    let baselines: [Signature?]

    /// Takes the baselines now; create the watcher as early as possible.
    init(paths: [String], interval: Duration, settle: Duration) {
        self.paths = paths
        self.interval = interval
        self.settle = settle
        baselines = paths.map(Self.signature(of:))
    }

    /// The file's current signature, following symlinks (a switched `current` link counts).
    static func signature(of path: String) -> Signature? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Signature(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                         modified: info.st_mtim)
    }

    /// Polls until cancelled, calling `changed` with the path of each settled change.
    func run(changed: @Sendable (String) -> Void) async {
        var trackers = baselines.map { Tracker(baseline: $0) }
        let clock = ContinuousClock()
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if let path = poll(&trackers, at: clock.now) { changed(path) }
        }
    }

    /// Looks at every file once; returns the first path whose change settled, if any.
    ///
    /// Changes that settle in the same poll are one change: a Kubernetes ConfigMap update
    /// swaps every file of the volume with one rename, and a config with the files it
    /// includes must restart once, not once per file.
    func poll(_ trackers: inout [Tracker], at now: ContinuousClock.Instant) -> String? {
        var first: String?
        for index in paths.indices
        where trackers[index].observe(Self.signature(of: paths[index]), at: now, settle: settle) {
            first = first ?? paths[index]
        }
        return first
    }
}
