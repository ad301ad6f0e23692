/// A listening socket this process was started with, by systemd or by its predecessor.
public struct InheritedSocket: Sendable, Equatable {
    /// The fd number.
    public var fd: Int32
    /// Its entry in `LISTEN_FDNAMES`, if any.
    public var name: String?
}

/// The systemd socket activation protocol (`sd_listen_fds_with_names`), as a pure
/// function of the environment so that it is tested without starting processes.
enum SocketActivation {
    /// The first fd passed, as systemd defines it.
    static let firstFD: Int32 = 3
    /// Variables the protocol uses; unset once read, so children do not see them.
    static let variables = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]

    /// The sockets passed to process `pid`, or none when the variables are absent, malformed
    /// or meant for another process (`LISTEN_PID` differs).
    static func sockets(environment: [String: String], pid: Int32) -> [InheritedSocket] {
        guard let listenPID = environment["LISTEN_PID"].flatMap({ Int32($0) }), listenPID == pid,
              let count = environment["LISTEN_FDS"].flatMap({ Int32($0) }), count > 0, count < 65_536
        else { return [] }
        var names: [String?] = Array(repeating: nil, count: Int(count))
        if let list = environment["LISTEN_FDNAMES"] {
            let parts = list.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == Int(count) {
                // systemd's placeholder for an unnamed socket is "unknown".
                names = parts.map { $0.isEmpty || $0 == "unknown" ? nil : String($0) }
            }
        }
        return (0..<count).map { InheritedSocket(fd: firstFD + $0, name: names[Int($0)]) }
    }

    /// `LISTEN_FDNAMES` for passing `names` on.
    static func namesVariable(_ names: [String?]) -> String {
        names.map { $0 ?? "unknown" }.joined(separator: ":")
    }
}
