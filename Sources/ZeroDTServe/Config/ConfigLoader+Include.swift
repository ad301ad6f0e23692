import Foundation

extension ConfigLoader {
    /// At most this many files are included, all `include:` entries together: a pattern
    /// that matches far more is a mistake, and each file is read at every start.
    public static let maximumIncludedFiles = 1000

    /// What the main file's `include:` led to.
    struct Inclusion {
        /// The included files, parsed, in the order their servers are merged.
        var documents: [ConfigDocument] = []
        /// Their absolute paths, in the same order, also of those that did not parse.
        var files: [String] = []
        /// The directories of the patterns, absolute: a file added there changes the config.
        var directories: [String] = []
    }

    /// Finds, reads and parses the files that `entries` name. Each entry is a path or a glob
    /// pattern; a path must exist, a pattern may match nothing (an empty `conf.d/`), but its
    /// directory must exist, as a misspelt directory matches nothing too. A file matched again
    /// is included once, where it first was. Problems are reported at the entry, in `bag`.
    func include(_ entries: [ConfigDecoder.IncludeEntry], mainFile: String, mainPath: String, baseDirectory: String,
                 bag: inout DiagnosticBag) -> Inclusion {
        var inclusion = Inclusion()
        let main = FileIdentity(path: mainPath)
        var seen = Set<FileIdentity>()
        for entry in entries {
            guard let paths = matches(of: entry, into: &inclusion, bag: &bag) else { continue }
            for path in paths {
                let file = Self.displayName(path, mainFile: mainFile, baseDirectory: baseDirectory)
                let identity = FileIdentity(path: path)
                if let identity, identity == main {
                    bag.error("include '\(entry.written)' matches the main config file", at: entry.location,
                              notes: [.init("keep included files apart, as in conf.d/*.yaml")])
                    continue
                }
                if let identity, !seen.insert(identity).inserted { continue }
                guard inclusion.files.count < Self.maximumIncludedFiles else {
                    bag.error("more than \(Self.maximumIncludedFiles) files are included", at: entry.location)
                    return inclusion
                }
                inclusion.files.append(path)
                if let document = read(path, as: file, for: entry, bag: &bag) { inclusion.documents.append(document) }
            }
        }
        return inclusion
    }

    /// The paths `entry` stands for, or nil after an error.
    private func matches(of entry: ConfigDecoder.IncludeEntry, into inclusion: inout Inclusion,
                         bag: inout DiagnosticBag) -> [String]? {
        guard Glob.hasWildcard(entry.pattern) else { return [entry.pattern] }
        let directory = (entry.pattern as NSString).deletingLastPathComponent
        if !Glob.hasWildcard(directory) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                bag.error("directory '\(directory)' of include '\(entry.written)' does not exist", at: entry.location)
                return nil
            }
            inclusion.directories.append(directory)
        }
        guard case .success(let paths) = Glob.matches(entry.pattern) else {
            bag.error("cannot list the files include '\(entry.written)' matches: a directory is not readable",
                      at: entry.location)
            return nil
        }
        return paths
    }

    /// The included file at `path`, parsed and expanded; nil after an error.
    private func read(_ path: String, as file: String, for entry: ConfigDecoder.IncludeEntry,
                      bag: inout DiagnosticBag) -> ConfigDocument? {
        let text: String
        switch ConfigDocument.readText(atPath: path) {
        case .success(let read): text = read
        case .failure(.unreadable(.missing)) where !Glob.hasWildcard(entry.pattern):
            bag.error("included file '\(file)' does not exist", at: entry.location)
            return nil
        case .failure(.unreadable(.notRegular("a directory"))) where !Glob.hasWildcard(entry.pattern):
            bag.error("included file '\(file)' is a directory", at: entry.location,
                      notes: [.init("to include the files in it, write '\(entry.written)/*.yaml'")])
            return nil
        case .failure(let failure):
            bag.error(failure.message(what: "included file '\(file)'"), at: entry.location)
            return nil
        }
        let directory = (path as NSString).deletingLastPathComponent
        switch ConfigDocument.parse(text, file: file, baseDirectory: directory, environment: environment) {
        case .success(let document): return document
        case .failure(let diagnostic):
            bag.append(contentsOf: [diagnostic])
            // Still returned, empty, so that the renderer can quote the line.
            return ConfigDocument(file: file, baseDirectory: directory, text: text)
        }
    }

    /// How diagnostics name an included file: like the main file, relative when it is below
    /// the main file's directory (`conf.d/a.yaml` beside `site.yaml`), absolute otherwise.
    static func displayName(_ path: String, mainFile: String, baseDirectory: String) -> String {
        let base = joined(baseDirectory, "")
        guard path.hasPrefix(base) else { return path }
        let relative = String(path.dropFirst(base.count))
        let mainDirectory = (mainFile as NSString).deletingLastPathComponent
        return mainDirectory.isEmpty ? relative : joined(mainDirectory, relative)
    }
}

/// A file's device and inode: the same file under two names (a symlink, `./`) is one file.
private struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
