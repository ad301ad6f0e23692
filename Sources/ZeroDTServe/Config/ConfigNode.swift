/// An immutable, `Sendable` YAML tree in which every node knows where it was written.
///
/// The loader validates this tree rather than decoding with `Codable`, so that every
/// diagnostic carries a line and column. Handler modules receive their `options:` as one.
public struct ConfigNode: Sendable, Hashable {
    /// What a node holds.
    public enum Value: Sendable, Hashable {
        /// A scalar as written; `plain` is false when it was quoted or a block scalar,
        /// which makes `"true"` a string rather than a boolean.
        case scalar(String, plain: Bool)
        /// Key–value pairs in file order; keys are scalars.
        case mapping([Entry])
        /// Items in file order.
        case sequence([ConfigNode])
    }

    /// One key–value pair of a mapping.
    public struct Entry: Sendable, Hashable {
        /// The key as written.
        public var key: String
        /// Where the key was written.
        public var keyLocation: SourceLocation
        /// The value.
        public var value: ConfigNode
    }

    /// The content.
    public var value: Value
    /// Where the node starts.
    public var location: SourceLocation

    /// The node's kind in words, for messages such as "expected a mapping, found a list".
    public var kindDescription: String {
        switch value {
        case .scalar(let text, let plain):
            if plain && Self.nullSpellings.contains(text) { return "null" }
            return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// True for an explicit or empty YAML null (`~`, `null`, or nothing at all).
    public var isNull: Bool {
        if case .scalar(let text, true) = value { return Self.nullSpellings.contains(text) }
        return false
    }

    static let nullSpellings: Set<String> = ["", "~", "null", "Null", "NULL"]
}
