import ZeroDTHTTP

extension ConfigDecoder {
    static let headersKeys = ["set", "remove"]

    /// `headers: {set: {Name: value}, remove: [Name]}` on a server or a route.
    mutating func responseHeaders(_ node: ConfigNode) -> ResponseHeaderRules? {
        guard let fields = mapping(node, what: "headers", allowed: Self.headersKeys) else { return nil }
        var set: [ResponseHeaderRules.Field] = []
        var valid = true
        if let node = fields["set"] {
            if let list = headerList(node, what: "set") {
                set = list.map { .init(name: $0.name, value: $0.value) }
            } else {
                valid = false
            }
        }
        var remove: [String] = []
        if let node = fields["remove"], let items = list(node, what: "remove") {
            let setNames = Set(set.map { $0.name.lowercased() })
            for item in items {
                guard let name = string(item, what: "remove"), configurableHeaderName(name, at: item.location) else {
                    valid = false
                    continue
                }
                if setNames.contains(name.lowercased()) {
                    error("header '\(name)' is both set and removed", at: item.location)
                    valid = false
                }
                remove.append(name)
            }
        } else if fields.has("remove") {
            valid = false
        }
        return valid ? ResponseHeaderRules(set: set, remove: remove) : nil
    }

    /// A mapping of header names to values, in file order, each name given once (ignoring case).
    mutating func headerList(_ node: ConfigNode, what: String = "headers") -> [(name: String, value: String)]? {
        guard case .mapping(let entries) = node.value else {
            error("'\(what)' must be a mapping of header names to values, found \(node.kindDescription)",
                  at: node.location)
            return nil
        }
        var headers: [(name: String, value: String)] = []
        var firstByName: [String: SourceLocation] = [:]
        var valid = true
        for entry in entries {
            guard configurableHeaderName(entry.key, at: entry.keyLocation) else {
                valid = false
                continue
            }
            if let first = firstByName[entry.key.lowercased()] {
                error("header '\(entry.key)' is given twice (names ignore case); join the values with ', '",
                      at: entry.keyLocation, notes: [.init("first given here", at: first)])
                valid = false
            }
            firstByName[entry.key.lowercased()] = entry.keyLocation
            if let value = headerValue(entry.value, what: entry.key) {
                headers.append((entry.key, value))
            } else {
                valid = false
            }
        }
        return valid ? headers : nil
    }

    /// Checks a header name against the rules the server applies when it writes a head, and
    /// refuses the ones the server writes itself.
    private mutating func configurableHeaderName(_ name: String, at location: SourceLocation) -> Bool {
        if !ResponseHead.isToken(name) {
            error("'\(name)' is not a valid header name", at: location)
            return false
        }
        if ResponseHeaderRules.serverOwned.contains(name.lowercased()) {
            error("header '\(name)' is set by the server and cannot be configured", at: location)
            return false
        }
        return true
    }

    /// A header value: any text without line breaks or control characters.
    mutating func headerValue(_ node: ConfigNode, what: String) -> String? {
        guard let value = string(node, what: what, allowEmpty: true) else { return nil }
        if !ResponseHead.isFieldValue(value) {
            error("'\(what)' must not contain line breaks or control characters", at: node.location)
            return nil
        }
        return value
    }
}
