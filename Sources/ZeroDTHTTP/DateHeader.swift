#if canImport(Glibc)
import Glibc
#endif
import NIOPosix

/// The `Date` header value, formatted at most once a second per event loop thread.
enum DateHeader {
    /// A thread's `Date`: only ever touched by the thread that made it, hence safe despite
    /// not being `Sendable`. A connection keeps its event loop's (``current``): looking the
    /// thread's up for every response cost more than the rest of taking the date.
    final class Cache {
        private var second: time_t = -1
        private var value = ""

        /// The current time as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
        var now: String {
            let second = time(nil)
            if second != self.second {
                self.second = second
                value = DateHeader.format(second)
            }
            return value
        }
    }

    /// One cache per thread, so event loops never contend for it.
    nonisolated(unsafe) private static let caches = ThreadSpecificVariable<Cache>()

    /// The calling thread's cache, made by its first call.
    static var current: Cache {
        if let existing = caches.currentValue { return existing }
        let cache = Cache()
        caches.currentValue = cache
        return cache
    }

    /// The current time as an IMF-fixdate, from the calling thread's cache.
    static var now: String { current.now }

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
