import Foundation
import ZeroDTHTTP

extension ConfigDecoder {
    static let actionKeys = ["static", "respond", "redirect", "handler"]
    static let routeKeys = ["path"] + actionKeys + ["options", "headers"] + encodingKeys
    static let staticKeys = ["root", "index", "symlinks", "cache_control", "hidden", "fallback",
                             "fallback_extensions", "browse", "precompressed"]
    static let respondKeys = ["status", "body", "headers", "content_type"]
    static let redirectKeys = ["to", "scheme", "port", "status"]

    /// What `redirect: {scheme: …}` may switch to.
    enum RedirectScheme: String, CaseIterable {
        case http
        case https
    }

    mutating func route(_ node: ConfigNode) -> RouteConfig? {
        guard let fields = mapping(node, what: "route", allowed: Self.routeKeys, required: ["path"]) else { return nil }
        let path = fields["path"].flatMap { routePath($0) }
        let actions = Self.actionKeys.filter { fields.has($0) }
        guard actions.count == 1, let key = actions.first, let actionNode = fields[key] else {
            if actions.isEmpty {
                missing("route needs one of \(Self.actionKeys.joined(separator: ", "))", anyOf: Self.actionKeys,
                        in: fields)
            } else {
                let written = actions.compactMap { key in fields.keyLocation(key).map { (key, $0) } }
                    .sorted { $0.1 < $1.1 }
                error("route has both '\(written[0].0)' and '\(written[1].0)'; give each its own route",
                      at: written[1].1)
            }
            return nil
        }
        if key != "handler", let location = fields.keyLocation("options") {
            error("'options' applies only to 'handler' routes", at: location)
        }
        let action: RouteConfig.Action?
        switch key {
        case "static": action = staticFiles(actionNode).map { .staticFiles($0) }
        case "respond": action = respond(actionNode).map { .respond($0) }
        case "redirect": action = redirect(actionNode).map { .redirect($0) }
        default: action = handler(actionNode, options: fields["options"]).map { .handler($0) }
        }
        if key == "static", let path, !path.hasSuffix("/"), let pathNode = fields["path"] {
            // The request path below the route names the file, so the route must be a subtree.
            error("static route path '\(path)' must end with '/'", at: pathNode.location,
                  notes: [.init("static routes serve a directory tree; write '\(path)/'")])
            return nil
        }
        var headers: ResponseHeaderRules? = ResponseHeaderRules()
        if let node = fields["headers"] { headers = responseHeaders(node) }
        let encoding = routeEncoding(fields, action: key)
        guard let path, let action, let headers, encoding.valid else { return nil }
        return RouteConfig(path: path, action: action, location: node.location, headers: headers,
                           encoding: encoding.settings)
    }

    private mutating func routePath(_ node: ConfigNode) -> String? {
        guard let path = string(node, what: "path") else { return nil }
        guard path.hasPrefix("/") else {
            error("route path '\(path)' must start with '/'", at: node.location)
            return nil
        }
        if let bad = path.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value == 0x7F || $0 == "?" || $0 == "#" }) {
            let shown = bad.value <= 0x20 || bad.value == 0x7F ? "a space or control character" : "'\(bad)'"
            error("route path '\(path)' contains \(shown)", at: node.location)
            return nil
        }
        if path.contains("//") {
            error("route path '\(path)' contains an empty segment ('//'); requests never match it", at: node.location)
            return nil
        }
        if path.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) {
            error("route path '\(path)' contains a '.' or '..' segment", at: node.location)
            return nil
        }
        return path
    }

    private mutating func staticFiles(_ node: ConfigNode) -> StaticConfig? {
        if case .scalar = node.value {
            guard let root = staticRoot(node) else { return nil }
            return StaticConfig(root: root)
        }
        guard let fields = mapping(node, what: "static", allowed: Self.staticKeys, required: ["root"]),
              let rootNode = fields["root"], let root = staticRoot(rootNode)
        else { return nil }
        var config = StaticConfig(root: root)
        if let node = fields["index"] {
            if case .sequence(let items) = node.value {
                config.index = items.compactMap { indexName($0) }
            } else if let name = indexName(node) {
                config.index = [name]
            }
        }
        if let node = fields["symlinks"], let policy = choice(node, what: "symlinks", as: SymlinkPolicy.self) {
            config.symlinks = policy
        }
        if let node = fields["cache_control"], let value = headerValue(node, what: "cache_control") {
            config.cacheControl = value
        }
        if let node = fields["hidden"], let hidden = boolean(node, what: "hidden") {
            config.hidden = hidden
        }
        if let node = fields["browse"], let browse = boolean(node, what: "browse") {
            config.browse = browse
        }
        staticFallback(fields, root: root, into: &config)
        if let node = fields["precompressed"] {
            guard let codings = precompressed(node) else { return nil }
            config.precompressed = codings
        }
        return config
    }

    private mutating func staticRoot(_ node: ConfigNode) -> String? {
        guard let root = path(node, what: "root") else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
            error("static root '\(root)' does not exist", at: node.location)
            return nil
        }
        guard isDirectory.boolValue else {
            error("static root '\(root)' is not a directory", at: node.location)
            return nil
        }
        return URL(fileURLWithPath: root).standardizedFileURL.path
    }

    private mutating func indexName(_ node: ConfigNode) -> String? {
        guard let name = string(node, what: "index") else { return nil }
        guard !name.contains("/"), name != ".", name != ".." else {
            error("index '\(name)' must be a file name, not a path", at: node.location)
            return nil
        }
        return name
    }

    private mutating func respond(_ node: ConfigNode) -> RespondConfig? {
        if case .scalar = node.value {
            guard let body = string(node, what: "respond", allowEmpty: true) else { return nil }
            return RespondConfig(body: body)
        }
        guard let fields = mapping(node, what: "respond", allowed: Self.respondKeys) else { return nil }
        var config = RespondConfig()
        var valid = true
        if let node = fields["status"] {
            if let status = integer(node, what: "status", range: 100...599) {
                if status < 200 {
                    error("status \(status) is informational (1xx) and cannot be a final response", at: node.location)
                    valid = false
                }
                config.status = status
            } else {
                valid = false
            }
        }
        if let node = fields["body"] {
            if let body = string(node, what: "body", allowEmpty: true) { config.body = body } else { valid = false }
        }
        if let node = fields["content_type"] {
            if let value = headerValue(node, what: "content_type") { config.contentType = value } else { valid = false }
        }
        if let node = fields["headers"] {
            if let headers = headerList(node) { config.headers = headers } else { valid = false }
        }
        if (100..<200).contains(config.status) || config.status == 204 || config.status == 304, !config.body.isEmpty,
           let location = fields.keyLocation("body") {
            error("status \(config.status) cannot carry a body", at: location)
            valid = false
        }
        return valid ? config : nil
    }

    private mutating func redirect(_ node: ConfigNode) -> RedirectConfig? {
        if case .scalar = node.value {
            guard let target = redirectTarget(node) else { return nil }
            return RedirectConfig(to: target)
        }
        guard let fields = mapping(node, what: "redirect", allowed: Self.redirectKeys),
              let target = redirectTarget(fields)
        else { return nil }
        var config = RedirectConfig(target: target)
        if let node = fields["status"] {
            guard let status = integer(node, what: "status", range: 300...399) else { return nil }
            config.status = status
        }
        return config
    }

    /// `to:`, or `scheme:` with an optional `port:`.
    private mutating func redirectTarget(_ fields: Fields) -> RedirectConfig.Target? {
        switch (fields["to"], fields["scheme"]) {
        case (let to?, nil):
            if let location = fields.keyLocation("port") {
                error("'port' applies only with 'scheme'", at: location)
            }
            return redirectTarget(to).map { .url($0) }
        case (nil, let schemeNode?):
            var port: Int?
            if let node = fields["port"] {
                guard let value = integer(node, what: "port", range: 1...65535) else { return nil }
                port = value
            }
            guard let scheme = choice(schemeNode, what: "scheme", as: RedirectScheme.self) else { return nil }
            return .scheme(scheme.rawValue, port: port)
        case (_?, _?):
            error("'redirect' takes 'to' or 'scheme', not both", at: fields.keyLocation("scheme") ?? fields.node.location)
            return nil
        case (nil, nil):
            missing("'redirect' needs 'to' (a URL or path) or 'scheme' (same host and path)", anyOf: ["to", "scheme"],
                    in: fields)
            return nil
        }
    }

    private mutating func redirectTarget(_ node: ConfigNode) -> String? {
        guard let target = headerValue(node, what: "to") else { return nil }
        if target.isEmpty || target.contains(" ") {
            error("redirect target '\(target)' must be a URL or a path without spaces", at: node.location)
            return nil
        }
        return target
    }

    private mutating func handler(_ node: ConfigNode, options: ConfigNode?) -> HandlerConfig? {
        guard let name = string(node, what: "handler") else { return nil }
        guard let diagnostics = validateHandler(name, options, node.location) else {
            var notes: [Diagnostic.Note] = []
            if let guess = Suggestion.closest(to: name, among: handlerNames) {
                notes.append(.init("did you mean '\(guess)'?"))
            } else if !handlerNames.isEmpty {
                notes.append(.init("known modules: \(handlerNames.sorted().joined(separator: ", "))"))
            } else {
                notes.append(.init("this build has no handler modules; see docs/modules.md"))
            }
            error("unknown handler module '\(name)'", at: node.location, notes: notes)
            return nil
        }
        bag.append(contentsOf: diagnostics)
        return diagnostics.contains { $0.severity == .error } ? nil : HandlerConfig(name: name, options: options)
    }
}
