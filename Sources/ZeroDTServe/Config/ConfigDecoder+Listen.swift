import Foundation
import ZeroDT

extension ConfigDecoder {
    static let listenKeys = ["address", "name", "backlog", "mode", "tls"]

    /// One `listen:` item: an address string, or a mapping with the address and options.
    mutating func listener(_ node: ConfigNode) -> ListenerConfig? {
        if case .scalar = node.value {
            guard let address = listenAddress(node) else { return nil }
            return ListenerConfig(address: address, location: node.location)
        }
        guard let fields = mapping(node, what: "listen", allowed: Self.listenKeys, required: ["address"]) else {
            return nil
        }
        let address = fields["address"].flatMap { listenAddress($0) }
        let name = fields["name"].flatMap { self.name($0, of: "listener") }
        var backlog = ListenerConfig.defaultBacklog
        if let node = fields["backlog"], let value = integer(node, what: "backlog", range: 1...65535) {
            backlog = value
        }
        var mode: UInt32?
        if let node = fields["mode"] {
            mode = fileMode(node)
            if let address, address.unixPath == nil {
                error("'mode' applies only to unix sockets", at: node.location)
            }
        }
        let tls = fields["tls"].flatMap { self.tls($0) }
        guard let address, fields["tls"] == nil || tls != nil else { return nil }
        return ListenerConfig(address: address, name: name, backlog: backlog, mode: mode, tls: tls,
                              location: node.location)
    }

    private mutating func listenAddress(_ node: ConfigNode) -> ListenAddress? {
        guard let text = string(node, what: "address") else { return nil }
        // inet_pton stops at a NUL, so "127.0.0.1\0junk:80" would otherwise pass as 127.0.0.1.
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            error("invalid listen address: it contains a control character", at: node.location)
            return nil
        }
        let address: ListenAddress
        do {
            address = try ListenAddress.parse(text)
        } catch {
            var notes: [Diagnostic.Note] = []
            if Int(text) != nil { notes.append(.init("to listen on every interface write ':\(text)'")) }
            self.error("invalid listen address '\(text)': \(error)", at: node.location, notes: notes)
            return nil
        }
        guard let path = address.unixPath else { return address }
        // Lexically normalized (`./u.sock`, `a/../u.sock`), so that servers spelling one socket
        // differently share it, as `localhost:80` and `127.0.0.1:80` are shared.
        let resolved = URL(fileURLWithPath: resolvedPath(path)).standardizedFileURL.path
        guard checkUnixPath(resolved, what: "listen", at: node.location) else { return nil }
        return .unix(path: resolved)
    }

    /// An octal permission mode such as `0660` or `"660"`.
    private mutating func fileMode(_ node: ConfigNode) -> UInt32? {
        if case .scalar(let text, _) = node.value, (1...4).contains(text.count),
           text.unicodeScalars.allSatisfy({ ("0"..."7").contains($0) }),
           let mode = UInt32(text, radix: 8), mode <= 0o777 {
            return mode
        }
        error("'mode' must be octal permission bits such as 0660, found \(describe(node))", at: node.location)
        return nil
    }
}
