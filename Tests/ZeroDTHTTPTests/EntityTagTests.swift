import Testing

@testable import ZeroDTHTTP

@Suite struct EntityTagTests {
    let strong = EntityTag(opaque: "abc", isWeak: false)
    let weak = EntityTag(opaque: "abc", isWeak: true)

    @Test func parsesSingleTags() {
        #expect(EntityTag.parse("\"abc\"") == strong)
        #expect(EntityTag.parse("W/\"abc\"") == weak)
        #expect(EntityTag.parse("\"\"") == EntityTag(opaque: "", isWeak: false))
        #expect(EntityTag.parse("abc") == nil)
        #expect(EntityTag.parse("\"abc") == nil)
        #expect(EntityTag.parse("\"abc\" x") == nil)
        #expect(EntityTag.parse("w/\"abc\"") == nil)
        #expect(EntityTag.parse("\"a b\"") == nil)
    }

    @Test func rendersFieldValues() {
        #expect(strong.description == "\"abc\"")
        #expect(weak.description == "W/\"abc\"")
    }

    @Test func comparesStronglyAndWeakly() {
        #expect(strong.strongMatches(strong))
        #expect(!weak.strongMatches(strong))
        #expect(!strong.strongMatches(weak))
        #expect(weak.weakMatches(strong))
        #expect(!strong.weakMatches(EntityTag(opaque: "abd", isWeak: false)))
    }

    @Test func parsesListsAcrossLinesWithEmptyElements() {
        let condition = EntityTagCondition(fieldLines: ["\"a\", W/\"b\"", " ,\"c,d\" ,"])
        #expect(
            condition
                == .tags([
                    EntityTag(opaque: "a", isWeak: false), EntityTag(opaque: "b", isWeak: true),
                    EntityTag(opaque: "c,d", isWeak: false),
                ]))
    }

    @Test func starMatchesAnything() {
        #expect(EntityTagCondition(fieldLines: ["*"]) == .any)
        #expect(EntityTagCondition(fieldLines: [" * "]) == .any)
        #expect(EntityTagCondition(fieldLines: ["*"]).matches(strong, using: { $0.strongMatches($1) }))
    }

    @Test(arguments: [["*, \"a\""], ["*", "\"a\""], ["abc"], ["\"a\" \"b\""], ["\"a"], ["\"a\";x"]])
    func malformedListsMatchNothing(_ lines: [String]) {
        let condition = EntityTagCondition(fieldLines: lines)
        #expect(condition == .tags([]))
        #expect(!condition.matches(EntityTag(opaque: "a", isWeak: false), using: { $0.weakMatches($1) }))
    }
}
