import Testing
@testable import ZeroDT

@Suite struct SocketActivationTests {
    @Test func readsFdsAndNamesForThisProcess() {
        let sockets = SocketActivation.sockets(
            environment: ["LISTEN_PID": "42", "LISTEN_FDS": "3", "LISTEN_FDNAMES": "web:unknown:"], pid: 42)
        #expect(sockets == [
            InheritedSocket(fd: 3, name: "web"), InheritedSocket(fd: 4, name: nil), InheritedSocket(fd: 5, name: nil),
        ])
    }

    @Test func ignoresVariablesMeantForAnotherProcess() {
        #expect(SocketActivation.sockets(environment: ["LISTEN_PID": "41", "LISTEN_FDS": "1"], pid: 42).isEmpty)
        #expect(SocketActivation.sockets(environment: ["LISTEN_FDS": "1"], pid: 42).isEmpty)
    }

    @Test(arguments: ["0", "-1", "x", "", "70000"])
    func ignoresMalformedCounts(count: String) {
        #expect(SocketActivation.sockets(environment: ["LISTEN_PID": "1", "LISTEN_FDS": count], pid: 1).isEmpty)
    }

    @Test func dropsNamesWhoseCountDisagrees() {
        let sockets = SocketActivation.sockets(
            environment: ["LISTEN_PID": "7", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "only-one"], pid: 7)
        #expect(sockets.map(\.name) == [nil, nil])
    }

    @Test func namesVariableUsesSystemdsPlaceholder() {
        #expect(SocketActivation.namesVariable(["a", nil, "b"]) == "a:unknown:b")
    }
}

@Suite struct SystemdOwnershipTests {
    @Test func socketsStraightFromSystemdAreSystemds() {
        let sockets = SocketActivation.sockets(environment: ["LISTEN_PID": "9", "LISTEN_FDS": "2"], pid: 9)
        #expect(sockets.map(\.fromSystemd) == [true, true])
    }

    @Test func aPredecessorSaysWhichOfItsSocketsAreSystemds() {
        let sockets = SocketActivation.sockets(
            environment: ["LISTEN_PID": "9", "LISTEN_FDS": "3", "ZERODT_SYSTEMD_FDS": "0,2", "ZERODT_CONTROL_FD": "6"],
            pid: 9)
        #expect(sockets.map(\.fromSystemd) == [true, false, true])
        let none = SocketActivation.sockets(
            environment: ["LISTEN_PID": "9", "LISTEN_FDS": "1", "ZERODT_SYSTEMD_FDS": "", "ZERODT_CONTROL_FD": "4"],
            pid: 9)
        #expect(none.map(\.fromSystemd) == [false])
    }

    @Test func aPredecessorThatDoesNotSayPassesItsOwnSockets() {
        let sockets = SocketActivation.sockets(
            environment: ["LISTEN_PID": "9", "LISTEN_FDS": "1", "ZERODT_CONTROL_FD": "4"], pid: 9)
        #expect(sockets.map(\.fromSystemd) == [false])
    }

    @Test func theVariableIsUnsetWithTheOthers() {
        #expect(SocketActivation.variables.contains(SocketActivation.systemdVariable))
    }
}
