import Foundation
import ZeroDT

extension ConfigLoader {
    /// Where a running server can be reached, read leniently.
    public struct Endpoints: Sendable, Equatable {
        /// `control:`, made absolute.
        public var control: String?
        /// `pid_file:`, made absolute.
        public var pidFile: String?
    }

    /// Reads only the top-level `control:` and `pid_file:` of a config that does not load,
    /// so that `reload`, `stop` and `status` can still reach the server it started: an edit
    /// that broke the file must not lock the operator out. Nil when even that fails. Their
    /// `${NAME}` references expand from `environment` as when the config loads.
    public static func endpoints(file path: String, environment: [String: String] = processEnvironment) -> Endpoints? {
        guard case .success(let data) = RegularFile.read(atPath: path, limit: maximumFileSize),
              let text = String(data: Data(data), encoding: .utf8),
              case .success(let root?) = YAMLDocument.parse(text, file: path),
              case .mapping(let entries) = root.value
        else { return nil }
        let directory = (absolute(path) as NSString).deletingLastPathComponent
        func value(_ key: String) -> String? {
            guard let node = entries.first(where: { $0.key == key })?.value,
                  case .scalar(let written, _) = node.value, !node.isNull
            else { return nil }
            let expansion = EnvironmentReference.expand(written, environment: environment)
            let text = expansion.text
            guard expansion.problems.isEmpty, !text.isEmpty, !text.utf8.contains(0) else { return nil }
            return text.hasPrefix("/") ? text : directory + "/" + text
        }
        return Endpoints(control: value("control"), pidFile: value("pid_file"))
    }
}
