#if canImport(Glibc)
import Glibc
#endif
import NIOPosix

/// The `Date` header value, formatted at most once a second per event loop thread.
enum DateHeader {
    /// A thread's cache. Its fields are behind a pointer, which Swift does not check for
    /// exclusive access at each read as it does a class's stored properties: those checks
    /// were most of the cost of a cached value.
    private final class Cache {
        struct Fields {
            var second: time_t = -1
            var value = ""
        }

        let fields = UnsafeMutablePointer<Fields>.allocate(capacity: 1)

        init() {
            fields.initialize(to: Fields())
        }

        deinit {
            fields.deinitialize(count: 1)
            fields.deallocate()
        }
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
        let fields = cache.fields
        let second = time(nil)
        if second != fields.pointee.second {
            fields.pointee = Cache.Fields(second: second, value: format(second))
        }
        return fields.pointee.value
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
