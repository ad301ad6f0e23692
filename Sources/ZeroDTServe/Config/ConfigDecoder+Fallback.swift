import Foundation
import ZeroDTHTTP

extension ConfigDecoder {
    /// `fallback:` (a file below the root, which must exist) and `fallback_extensions:`.
    mutating func staticFallback(_ fields: Fields, root: String, into config: inout StaticConfig) {
        var includesExtensions = false
        if let node = fields["fallback_extensions"], let value = boolean(node, what: "fallback_extensions") {
            includesExtensions = value
        }
        guard let node = fields["fallback"] else {
            if let location = fields.keyLocation("fallback_extensions") {
                error("'fallback_extensions' applies only with 'fallback'", at: location)
            }
            return
        }
        guard let path = string(node, what: "fallback") else { return }
        let segments = path.split(separator: "/")
        if path.utf8.contains(0) || segments.isEmpty || segments.contains(where: { $0 == "." || $0 == ".." }) {
            error("fallback '\(path)' must name a file inside the root, without '.' or '..' segments",
                  at: node.location)
            return
        }
        if !config.hidden, segments.contains(where: { $0.hasPrefix(".") }) {
            error("fallback '\(path)' is a hidden name, which this route does not serve", at: node.location,
                  notes: [.init("set 'hidden: true' to serve names starting with '.'")])
            return
        }
        var isDirectory: ObjCBool = false
        let file = root + "/" + segments.joined(separator: "/")
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            error("fallback file '\(file)' does not exist", at: node.location)
            return
        }
        guard !isDirectory.boolValue else {
            error("fallback '\(file)' is a directory, not a file", at: node.location)
            return
        }
        config.fallback = StaticFallback(path: segments.joined(separator: "/"), includesExtensions: includesExtensions)
    }
}
