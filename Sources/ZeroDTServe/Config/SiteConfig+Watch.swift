extension SiteConfig {
    /// The paths `restart.watch` stands for, in order and each once: `binary` is
    /// `executable`; `config` is every file in `configFiles` and every directory in
    /// `includeDirectories`, so that an edited included file, and a file added to or removed
    /// from `conf.d/`, restarts the server as an edited main file does.
    public func watchPaths(executable: String) -> [String] {
        var seen = Set<String>()
        return restart.watch.flatMap { target -> [String] in
            switch target {
            case .binary: return [executable]
            case .config:
                // A SiteConfig made by other means than `ConfigLoader` has no `configFiles`.
                return (configFiles.isEmpty ? [ConfigLoader.absolute(file)] : configFiles) + includeDirectories
            case .file(let path): return [path]
            }
        }
        .filter { seen.insert($0).inserted }
    }
}
