#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ZeroDT

/// The datagrams generations send their supervisor, through a real `SOCK_SEQPACKET` pair.
@Suite struct SupervisorMessageTests {
    /// A connected pair: (generation's end, supervisor's end).
    static func pair() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SystemError(call: "socketpair", errno: errno)
        }
        return (fds[0], fds[1])
    }

    static func listener(fd: Int32, name: String?, systemd: Bool = false) -> Listener {
        Listener(name: name, address: .tcp(host: "127.0.0.1", port: 1), fd: fd, backlog: 16, inherited: false,
                 fromSystemd: systemd)
    }

    @Test func servingCarriesEverySocketWithItsNameInChunks() throws {
        let (generation, supervisor) = try Self.pair()
        defer { Posix.close(generation); Posix.close(supervisor) }
        var pipeFDs: [Int32] = [-1, -1]
        #expect(pipe(&pipeFDs) == 0)
        defer { pipeFDs.forEach(Posix.close) }
        // More sockets than one datagram carries: copies of one fd are enough. Each listener
        // owns (and closes) a copy of its own: handing them all the same fd closed it over
        // and over, and with it whatever another test running meanwhile had just opened under
        // that number (`IncludeTests` failed its `fstat` with EBADF, now and then).
        let count = SupervisorMessage.maximumSockets + 3
        let listeners = (0..<count).map {
            Self.listener(fd: fcntl(pipeFDs[0], F_DUPFD_CLOEXEC, 0), name: $0 == 0 ? nil : "l\($0)", systemd: $0 == 1)
        }
        let link = try #require(SupervisorLink(environment: [SupervisorLink.variable: "\(generation)"]))
        try link.reportServing(pid: 42, generation: 3, listeners: listeners)

        var names: [String?] = []
        var received: [Int32] = []
        var systemd: [Int] = []
        while true {
            guard case .message(let message, let fds) = SupervisorMessage.receive(from: supervisor) else {
                Issue.record("no message")
                return
            }
            #expect(message.kind == .serving && message.pid == 42 && message.generation == 3)
            systemd += message.systemd.map { $0 + names.count }
            names += message.names
            received += fds
            if !message.more { break }
        }
        defer { received.forEach(Posix.close) }
        #expect(names == listeners.map(\.name))
        #expect(systemd == [1])
        #expect(received.count == count && Set(received).count == count, "each a new fd here")
        #expect(received.allSatisfy { fcntl($0, F_GETFD) & FD_CLOEXEC != 0 })
    }

    @Test func theEndIsEndOfFileAndJunkIsReportedNotTrusted() throws {
        let (generation, supervisor) = try Self.pair()
        defer { Posix.close(supervisor) }
        try #require(SupervisorLink(environment: [SupervisorLink.variable: "\(generation)"])).reportStopping(pid: 42, generation: 3)
        guard case .message(let message, let fds) = SupervisorMessage.receive(from: supervisor) else {
            Issue.record("no message")
            return
        }
        #expect(message.kind == .stopping && fds.isEmpty)
        let junk = Array("not json".utf8)
        #expect(send(generation, junk, junk.count, 0) == junk.count)
        guard case .garbled = SupervisorMessage.receive(from: supervisor) else {
            Issue.record("junk was taken for a message")
            return
        }
        Posix.close(generation)
        guard case .endOfFile = SupervisorMessage.receive(from: supervisor) else {
            Issue.record("no end of file")
            return
        }
    }

    @Test func aStrayVariableNamingSomethingElseIsNoLink() throws {
        var pipeFDs: [Int32] = [-1, -1]
        #expect(pipe(&pipeFDs) == 0)
        defer { pipeFDs.forEach(Posix.close) }
        #expect(SupervisorLink(environment: [SupervisorLink.variable: "\(pipeFDs[0])"]) == nil)
        #expect(SupervisorLink(environment: [SupervisorLink.variable: "1"]) == nil)
    }
}
