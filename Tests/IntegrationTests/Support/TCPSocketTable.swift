import Foundation

/// The kernel's table of IPv4 TCP sockets (/proc/net/tcp), for a test that must know what a
/// server did with its end of a connection without asking the server.
enum TCPSocketTable {
    /// Whether the socket at 127.0.0.1:`localPort` connected to `remotePort` is still a
    /// process's: false once the process has closed it (the kernel keeps it, orphaned and
    /// with no inode, until the connection ends) or the connection is gone.
    static func isHeld(localPort: Int, remotePort: Int) -> Bool {
        // Read to the end: the kernel hands the table out a page at a time, and
        // `String(contentsOfFile:)` keeps only the first.
        guard let data = try? FileHandle(forReadingAtPath: "/proc/net/tcp")?.readToEnd() else { return false }
        let table = String(decoding: data, as: UTF8.self)
        guard let start = table.range(of: String(format: "0100007F:%04X 0100007F:%04X ", localPort, remotePort)) else {
            return false
        }
        // From the local address: the remote one, state, queues, timer, retransmits, uid,
        // timeout, inode.
        let fields = table[start.lowerBound...].prefix { $0 != "\n" }.split(separator: " ")
        return fields.count > 8 && fields[8] != "0"
    }

    /// Whether that socket stays a process's for `duration`: false as soon as it is not.
    /// For a close that must not come yet, the test's only way to see it not coming.
    static func staysHeld(localPort: Int, remotePort: Int, for duration: Duration) -> Bool {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            guard isHeld(localPort: localPort, remotePort: remotePort) else { return false }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return true
    }
}
