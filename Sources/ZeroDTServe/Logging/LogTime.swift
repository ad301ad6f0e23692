#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The times log lines carry, always in UTC.
enum LogTime {
    static func now() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now
    }

    /// `2026-11-30T11:20:00.123Z`.
    static func iso(_ time: timespec = now()) -> String {
        let parts = utc(time)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", 1900 + parts.tm_year, parts.tm_mon + 1,
                      parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, time.tv_nsec / 1_000_000)
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// nginx's `$time_local`, in UTC: `30/Nov/2026:11:20:00 +0000`.
    static func nginx(_ time: timespec = now()) -> String {
        let parts = utc(time)
        return String(format: "%02d/%@/%04d:%02d:%02d:%02d +0000", parts.tm_mday, months[Int(parts.tm_mon)],
                      1900 + parts.tm_year, parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    private static func utc(_ time: timespec) -> tm {
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return parts
    }
}
