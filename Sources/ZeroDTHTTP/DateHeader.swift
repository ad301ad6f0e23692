#if canImport(Glibc)
import Glibc
#endif
import NIOPosix

/// The `Date` header value, formatted at most once a second per event loop thread.
enum DateHeader {
    private final class Cache {
        var second: time_t = -1
        var value = ""
    }

    /// One cache per thread, so event loops never contend for it. Each `Cache` is only
    /// ever touched by the thread that created it, hence safe despite not being `Sendable`.
    nonisolated(unsafe) private static let caches = ThreadSpecificVariable<Cache>()

    /// The current time as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
    static var now: String {
        let cache: Cache
        if let existing = caches.currentValue {
            cache = existing
        } else {
            cache = Cache()
            caches.currentValue = cache
        }
        let second = time(nil)
        if second != cache.second {
            cache.second = second
            cache.value = format(second)
        }
        return cache.value
    }

    /// Formats a time as an IMF-fixdate.
    static func format(_ seconds: time_t) -> String {
        var seconds = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(1900 + parts.tm_year) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
