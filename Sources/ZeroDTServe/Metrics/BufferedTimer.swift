import Atomics
import NIOConcurrencyHelpers
import CoreMetrics
import Prometheus

/// A swift-metrics timer in front of a swift-prometheus histogram: a recording is two
/// relaxed atomic additions to the bucket it falls in, and the histogram gets them in one go
/// when `flush()` runs (before each exposition).
///
/// Why: swift-prometheus's histogram takes a lock for every recording, and with every event
/// loop recording each request into the same route's histogram, the lock is contended; a
/// thread that finds it taken sleeps in the kernel. Measured on the hello case: a third fewer
/// requests per second with the histogram recorded directly, none with this.
///
/// Each observation reaches the histogram in its own bucket, as the mean of the ones that
/// fell in that bucket since the last flush (the last one with the remainder): bucket counts
/// and `_count` are exact, and so is `_sum`, but for a recording that lands between the two
/// reads of a flush (its time then arrives with the next flush).
final class BufferedTimer: TimerHandler, Sendable {
    private let histogram: DurationHistogram
    /// The buckets' upper bounds in nanoseconds, ascending; a last bucket takes the rest.
    private let bounds: [Int64]
    /// Since the last flush, per bucket: how many, and their total in nanoseconds.
    private let counts: [ManagedAtomic<Int64>]
    private let sums: [ManagedAtomic<Int64>]

    init(histogram: DurationHistogram, buckets: [Duration]) {
        self.histogram = histogram
        bounds = buckets.sorted().map(\.nanoseconds)
        counts = (0...bounds.count).map { _ in ManagedAtomic(0) }
        sums = (0...bounds.count).map { _ in ManagedAtomic(0) }
    }

    func recordNanoseconds(_ duration: Int64) {
        var bucket = 0
        while bucket < bounds.count, duration > bounds[bucket] { bucket += 1 }
        counts[bucket].wrappingIncrement(ordering: .relaxed)
        sums[bucket].wrappingIncrement(by: duration, ordering: .relaxed)
    }

    /// Passes what was recorded since the last flush on to the histogram.
    /// - Important: one flush at a time (`BufferedTimerFactory.flush()` sees to it).
    func flush() {
        for bucket in counts.indices {
            let count = counts[bucket].exchange(0, ordering: .relaxed)
            guard count > 0 else { continue }
            let sum = sums[bucket].exchange(0, ordering: .relaxed)
            let lower = bucket == 0 ? 0 : bounds[bucket - 1] + 1
            let upper = bucket < bounds.count ? bounds[bucket] : Int64.max
            let mean = min(max(sum / count, lower), upper)
            // The last one takes the division's remainder, so that the sum comes out exact.
            let last = min(max(sum - mean * (count - 1), lower), upper)
            // What a recording between the two reads added to the sum but not the count.
            let rest = sum - mean * (count - 1) - last
            if rest != 0 { sums[bucket].wrappingIncrement(by: rest, ordering: .relaxed) }
            for _ in 1..<count { histogram.record(.nanoseconds(mean)) }
            histogram.record(.nanoseconds(last))
        }
    }
}

/// swift-prometheus's factory, with its timers behind `BufferedTimer`s.
struct BufferedTimerFactory: MetricsFactory {
    let prometheus: PrometheusMetricsFactory
    private let timers = TimerList()

    init(_ prometheus: PrometheusMetricsFactory) {
        self.prometheus = prometheus
    }

    /// Passes every timer's recordings on to its histogram.
    func flush() {
        timers.forEach { $0.flush() }
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let handler = prometheus.makeTimer(label: label, dimensions: dimensions)
        guard let histogram = handler as? DurationHistogram else { return handler }
        let timer = BufferedTimer(histogram: histogram, buckets: prometheus.durationHistogramBuckets[label]
                                      ?? prometheus.defaultDurationHistogramBuckets)
        timers.append(timer)
        return timer
    }

    func destroyTimer(_ handler: any TimerHandler) {
        prometheus.destroyTimer(timers.remove(handler) ?? handler)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        prometheus.makeCounter(label: label, dimensions: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        prometheus.makeFloatingPointCounter(label: label, dimensions: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        prometheus.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        prometheus.makeMeter(label: label, dimensions: dimensions)
    }

    func destroyCounter(_ handler: any CounterHandler) { prometheus.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        prometheus.destroyFloatingPointCounter(handler)
    }
    func destroyRecorder(_ handler: any RecorderHandler) { prometheus.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { prometheus.destroyMeter(handler) }
}

/// The factory's timers; flushes hold the lock, so that one runs at a time.
private final class TimerList: Sendable {
    private let timers = NIOLockedValueBox<[BufferedTimer]>([])

    func append(_ timer: BufferedTimer) {
        timers.withLockedValue { $0.append(timer) }
    }

    /// Removes `handler` if it is one of them, and returns the histogram behind it.
    func remove(_ handler: any TimerHandler) -> (any TimerHandler)? {
        guard let timer = handler as? BufferedTimer else { return nil }
        timer.flush()
        return timers.withLockedValue { timers in
            timers.removeAll { $0 === timer }
            return timer.histogramHandler
        }
    }

    func forEach(_ body: (BufferedTimer) -> Void) {
        timers.withLockedValue { $0.forEach(body) }
    }
}

extension BufferedTimer {
    /// The histogram, as the factory that made it knows it.
    fileprivate var histogramHandler: any TimerHandler { histogram }
}

extension Duration {
    /// Whole nanoseconds.
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
