import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

@Suite struct ConditionalRequestTests {
    let validators = RepresentationValidators(
        entityTag: EntityTag(opaque: "v1", isWeak: false), lastModified: 784_111_777)
    let lastModified = "Sun, 06 Nov 1994 08:49:37 GMT"
    let earlier = "Sun, 06 Nov 1994 08:49:36 GMT"
    let later = "Sun, 06 Nov 1994 08:49:38 GMT"

    func outcome(_ headers: [(String, String)], method: HTTPMethod = .GET) -> RepresentationValidators.Outcome {
        validators.evaluatePreconditions(HTTPHeaders(headers), method: method)
    }

    @Test func noConditionsProceed() {
        #expect(outcome([]) == .proceed)
    }

    @Test func ifMatchUsesStrongComparison() {
        #expect(outcome([("If-Match", "\"v1\"")]) == .proceed)
        #expect(outcome([("If-Match", "\"v0\", \"v1\"")]) == .proceed)
        #expect(outcome([("If-Match", "\"v0\""), ("If-Match", "\"v1\"")]) == .proceed)
        #expect(outcome([("If-Match", "*")]) == .proceed)
        #expect(outcome([("If-Match", "W/\"v1\"")]) == .preconditionFailed)
        #expect(outcome([("If-Match", "\"v0\"")]) == .preconditionFailed)
        #expect(outcome([("If-Match", "garbage")]) == .preconditionFailed)
    }

    @Test func ifUnmodifiedSinceAppliesOnlyWithoutIfMatch() {
        #expect(outcome([("If-Unmodified-Since", earlier)]) == .preconditionFailed)
        #expect(outcome([("If-Unmodified-Since", lastModified)]) == .proceed)
        #expect(outcome([("If-Unmodified-Since", later)]) == .proceed)
        #expect(outcome([("If-Match", "\"v1\""), ("If-Unmodified-Since", earlier)]) == .proceed)
        #expect(outcome([("If-Unmodified-Since", "yesterday")]) == .proceed)
    }

    @Test func ifNoneMatchUsesWeakComparison() {
        #expect(outcome([("If-None-Match", "\"v1\"")]) == .notModified)
        #expect(outcome([("If-None-Match", "W/\"v1\"")]) == .notModified)
        #expect(outcome([("If-None-Match", "\"v0\", W/\"v1\"")]) == .notModified)
        #expect(outcome([("If-None-Match", "*")]) == .notModified)
        #expect(outcome([("If-None-Match", "\"v0\"")]) == .proceed)
        #expect(outcome([("If-None-Match", "\"v1\"")], method: .HEAD) == .notModified)
        #expect(outcome([("If-None-Match", "\"v1\"")], method: .DELETE) == .preconditionFailed)
    }

    @Test func ifModifiedSinceAppliesOnlyWithoutIfNoneMatch() {
        #expect(outcome([("If-Modified-Since", lastModified)]) == .notModified)
        #expect(outcome([("If-Modified-Since", later)]) == .notModified)
        #expect(outcome([("If-Modified-Since", earlier)]) == .proceed)
        #expect(outcome([("If-Modified-Since", "not a date")]) == .proceed)
        #expect(outcome([("If-Modified-Since", lastModified), ("If-Modified-Since", later)]) == .proceed)
        #expect(outcome([("If-None-Match", "\"v0\""), ("If-Modified-Since", later)]) == .proceed)
        #expect(outcome([("If-Modified-Since", later)], method: .POST) == .proceed)
    }

    @Test func preconditionsAreEvaluatedInOrder() {
        #expect(outcome([("If-Match", "\"v0\""), ("If-None-Match", "\"v1\"")]) == .preconditionFailed)
        #expect(outcome([("If-Unmodified-Since", earlier), ("If-None-Match", "\"v1\"")]) == .preconditionFailed)
        #expect(outcome([("If-Match", "\"v1\""), ("If-None-Match", "\"v1\"")]) == .notModified)
        #expect(outcome([("If-Match", "\"v1\""), ("If-Modified-Since", earlier)]) == .proceed)
    }

    @Test func ifRangeNeedsAStrongTagOrTheExactDate() {
        func permits(_ value: String?) -> Bool {
            validators.permitsRange(HTTPHeaders(value.map { [("If-Range", $0)] } ?? []))
        }
        #expect(permits(nil))
        #expect(permits("\"v1\""))
        #expect(!permits("W/\"v1\""))
        #expect(!permits("\"v0\""))
        #expect(permits(lastModified))
        #expect(!permits(later))
        #expect(!permits(earlier))
        #expect(!permits("garbage"))
        #expect(!validators.permitsRange(HTTPHeaders([("If-Range", "\"v1\""), ("If-Range", "\"v1\"")])))
    }
}
