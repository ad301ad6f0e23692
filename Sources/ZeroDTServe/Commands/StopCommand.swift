import ArgumentParser
import Foundation
import ZeroDT

/// `zerodt-serve stop`: graceful stop, waiting for the process to exit.
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Drain and stop the running server, waiting until it has exited."
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let server = try RunningServer.load(options)
        server.warnIfInvalid()
        let timeout = server.longestStop + .seconds(5)
        try CommandFailure.report {
            if let client = try server.controlClient() {
                let reply = try client.send(.stop, timeout: .seconds(10))
                guard reply.ok else { throw CommandFailure("stop refused: \(reply.message)") }
                guard try client.waitForClose(timeout: timeout) else {
                    throw CommandFailure("pid \(reply.pid ?? 0) is still draining after \(timeout.components.seconds)s")
                }
                print("stopped pid \(reply.pid ?? 0)")
                return
            }
            let pid = try server.pidFromFile()
            kill(pid, SIGTERM)
            guard RunningServer.poll(timeout: timeout, { RunningServer.isRunning(pid) ? nil : true }) != nil else {
                throw CommandFailure("pid \(pid) is still draining after \(timeout.components.seconds)s")
            }
            print("stopped pid \(pid)")
        }
    }
}
