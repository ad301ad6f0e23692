/// How a static file handler treats symbolic links below its root.
public enum SymlinkPolicy: String, Sendable, CaseIterable {
    /// Never follow a symbolic link (the default).
    case deny
    /// Follow a link only when its target lies inside the root.
    case insideRoot = "inside_root"
    /// Follow every link, wherever it points.
    case follow
}
