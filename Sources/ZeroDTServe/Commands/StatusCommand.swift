import ArgumentParser
import Foundation
import ZeroDT

/// `zerodt-serve status`: what the running instance is doing.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the running server's pid, generation, uptime, listeners and last reload."
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let server = try RunningServer.load(options)
        server.warnIfInvalid()
        try CommandFailure.report {
            if let client = try server.controlClient() {
                let reply = try client.send(.status, timeout: .seconds(10))
                guard let status = reply.status else { throw CommandFailure(reply.message) }
                print(Self.render(status))
                return
            }
            let pid = try server.pidFromFile()
            print("pid:        \(pid)\nstate:      running (add 'control:' to the config for generation, listeners and reloads)")
        }
    }

    static func render(_ status: ControlProtocol.Status) -> String {
        var lines = [
            "pid:        \(status.pid)",
            "generation: \(status.generation)",
            "state:      \(status.state)",
            "uptime:     \(formatUptime(status.uptimeSeconds))",
            "listeners:  \(status.listeners.joined(separator: ", "))",
        ]
        if let reload = status.lastReload {
            let when = Date(timeIntervalSince1970: reload.at).formatted(.iso8601)
            lines.append("last reload: \(when) \(reload.ok ? "ok" : "FAILED"): \(reload.message)")
        } else {
            lines.append("last reload: none")
        }
        return lines.joined(separator: "\n")
    }

    private static func formatUptime(_ seconds: Double) -> String {
        let total = Int(seconds)
        let (hours, minutes, secs) = (total / 3600, total % 3600 / 60, total % 60)
        return hours > 0 ? "\(hours)h\(minutes)m\(secs)s" : minutes > 0 ? "\(minutes)m\(secs)s" : "\(secs)s"
    }
}
