/// A listening socket this process was started with, by systemd or by its predecessor.
public struct InheritedSocket: Sendable, Equatable {
    /// The fd number.
    public var fd: Int32
    /// Its entry in `LISTEN_FDNAMES`, if any.
    public var name: String?
    /// Whether systemd made it, directly or through predecessors that passed it on. Its
    /// unit, not the config, owns such a socket: it is matched by name alone and its file
    /// is never removed.
    public var fromSystemd: Bool

    /// Creates a record of an inherited socket.
    public init(fd: Int32, name: String?, fromSystemd: Bool = true) {
        self.fd = fd
        self.name = name
        self.fromSystemd = fromSystemd
    }
}

/// The systemd socket activation protocol (`sd_listen_fds_with_names`), as a pure
/// function of the environment so that it is tested without starting processes.
enum SocketActivation {
    /// The first fd passed, as systemd defines it.
    static let firstFD: Int32 = 3
    /// Private: which of the fds a predecessor passes came from systemd (comma-separated
    /// indices), since the protocol itself cannot say.
    static let systemdVariable = "ZERODT_SYSTEMD_FDS"
    /// Variables the protocol uses; unset once read, so children do not see them.
    static let variables = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", systemdVariable]

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
        // Without the private variable, the sender is systemd (or a predecessor too old to
        // say, whose sockets are then treated as its own when it is one).
        let fromSystemd: (Int32) -> Bool
        if let list = environment[systemdVariable] {
            let indices = Set(list.split(separator: ",").compactMap { Int32($0) })
            fromSystemd = { indices.contains($0) }
        } else {
            let fromPredecessor = environment[Runtime.controlFDVariable] != nil
            fromSystemd = { _ in !fromPredecessor }
        }
        return (0..<count).map { InheritedSocket(fd: firstFD + $0, name: names[Int($0)], fromSystemd: fromSystemd($0)) }
    }

    /// `ZERODT_SYSTEMD_FDS` for passing on sockets of which these are systemd's.
    static func systemdVariable(_ fromSystemd: [Bool]) -> String {
        fromSystemd.indices.filter { fromSystemd[$0] }.map(String.init).joined(separator: ",")
    }

    /// `LISTEN_FDNAMES` for passing `names` on.
    static func namesVariable(_ names: [String?]) -> String {
        names.map { $0 ?? "unknown" }.joined(separator: ":")
    }
}
