import ZeroDTHTTP

extension ConfigDecoder {
    /// `hosts: [example.com, "*.example.com"]`: the names a server answers on the addresses
    /// it shares; each a valid pattern, given once.
    mutating func hosts(_ node: ConfigNode) -> [ServerHost]? {
        if case .sequence(let items) = node.value, items.isEmpty {
            error("'hosts' must not be empty", at: node.location,
                  notes: [.init("to make the server its addresses' default, leave 'hosts' out")])
            return nil
        }
        guard let items = list(node, what: "hosts") else { return nil }
        var hosts: [ServerHost] = []
        var firstByPattern: [HostPattern: SourceLocation] = [:]
        var valid = true
        for item in items {
            // An empty entry is an invalid name, which HostPattern says; not an empty list.
            guard let text = string(item, what: "hosts", allowEmpty: true) else {
                valid = false
                continue
            }
            let pattern: HostPattern
            do {
                pattern = try HostPattern(parsing: text)
            } catch {
                self.error("invalid host '\(text)': \(error)", at: item.location)
                valid = false
                continue
            }
            if let first = firstByPattern[pattern] {
                self.error("host '\(pattern)' is listed twice", at: item.location,
                           notes: [.init("first listed here", at: first)])
                valid = false
                continue
            }
            firstByPattern[pattern] = item.location
            hosts.append(ServerHost(pattern: pattern, location: item.location))
        }
        return valid ? hosts : nil
    }
}
