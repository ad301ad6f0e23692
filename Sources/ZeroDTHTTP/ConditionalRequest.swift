import NIOHTTP1

/// The validators of a selected representation and the conditional-request rules of
/// RFC 9110 §13 evaluated against them.
struct RepresentationValidators: Equatable {
    /// The current entity-tag, sent as `ETag`.
    var entityTag: EntityTag
    /// The modification time in whole seconds since the epoch, sent as `Last-Modified`.
    var lastModified: Int

    /// What the preconditions of a request decide.
    enum Outcome: Equatable {
        /// Carry on: serve the representation (or a range of it).
        case proceed
        /// Answer 304 Not Modified.
        case notModified
        /// Answer 412 Precondition Failed.
        case preconditionFailed
    }

    /// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since`
    /// in the order of §13.2.2, for a resource that exists.
    func evaluatePreconditions(_ headers: HTTPHeaders, method: HTTPMethod) -> Outcome {
        let ifMatch = headers["If-Match"]
        if !ifMatch.isEmpty {
            if !EntityTagCondition(fieldLines: ifMatch).matches(entityTag, using: { $0.strongMatches($1) }) {
                return .preconditionFailed
            }
        } else if let date = Self.singleDate(headers["If-Unmodified-Since"]), lastModified > date {
            return .preconditionFailed
        }

        let isRetrieval = method == .GET || method == .HEAD
        let ifNoneMatch = headers["If-None-Match"]
        if !ifNoneMatch.isEmpty {
            if EntityTagCondition(fieldLines: ifNoneMatch).matches(entityTag, using: { $0.weakMatches($1) }) {
                return isRetrieval ? .notModified : .preconditionFailed
            }
        } else if isRetrieval, let date = Self.singleDate(headers["If-Modified-Since"]), lastModified <= date {
            return .notModified
        }
        return .proceed
    }

    /// Whether `If-Range` (§13.1.5) lets a `Range` apply: true without the field, true when
    /// it names the current entity-tag (strongly) or exactly the `Last-Modified` date.
    func permitsRange(_ headers: HTTPHeaders) -> Bool {
        let ifRange = headers["If-Range"]
        guard !ifRange.isEmpty else { return true }
        guard ifRange.count == 1 else { return false }
        if let tag = EntityTag.parse(ifRange[0]) {
            return tag.strongMatches(entityTag)
        }
        return HTTPDate.parse(ifRange[0]) == lastModified
    }

    /// A date field counts only as a single valid HTTP-date; anything else is ignored (§13.1.3).
    private static func singleDate(_ lines: [String]) -> Int? {
        lines.count == 1 ? HTTPDate.parse(lines[0]) : nil
    }
}
