extension ConfigDecoder {
    /// One entry of `include:`: a path or a glob pattern.
    struct IncludeEntry: Sendable, Equatable {
        /// As written.
        var written: String
        /// Made absolute against the including file's directory.
        var pattern: String
        /// Where it is written.
        var location: SourceLocation
    }

    /// The entries of the top level's `include:`, in order; nil when there is none (or the
    /// top level is not a mapping, which `site` reports).
    mutating func includeEntries(_ root: ConfigNode) -> [IncludeEntry]? {
        guard case .mapping(let entries) = root.value, let node = entries.first(where: { $0.key == "include" })?.value
        else { return nil }
        guard let items = list(node, what: "include", allowEmpty: true) else { return [] }
        return items.compactMap { item in
            guard let pattern = path(item, what: "include"), case .scalar(let written, _) = item.value
            else { return nil }
            return IncludeEntry(written: written, pattern: pattern, location: item.location)
        }
    }

    /// The servers of a file that `include:` names. Such a file holds `servers:` and nothing
    /// else: settings of the whole process in several files could contradict each other.
    mutating func includedServers(_ root: ConfigNode?) -> [ServerConfig] {
        guard let root, !root.isNull,
              let fields = mapping(root, what: "top level", allowed: Self.siteKeys)
        else { return [] }
        for key in Self.siteKeys where key != "servers" {
            guard let location = fields.keyLocation(key) else { continue }
            let note = key == "include" ? "includes do not nest" : "an included file holds only 'servers:'"
            error("'\(key)' is only allowed in the main config file", at: location, notes: [.init(note)])
        }
        guard let node = fields["servers"], let items = list(node, what: "servers", allowEmpty: true) else { return [] }
        return items.compactMap { server($0) }
    }
}
