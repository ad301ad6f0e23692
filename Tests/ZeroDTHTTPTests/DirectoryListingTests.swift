import Foundation
import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

@Suite struct DirectoryListingTests {
    let tree: TemporaryTree
    let outside: TemporaryTree

    init() throws {
        tree = try TemporaryTree()
        outside = try TemporaryTree()
        try outside.file("secret.txt", "outside")
        try tree.file("list/a<b&c\".txt", "1")
        try tree.file("list/space name.txt", "22")
        try tree.file("list/ünï.txt", "333")
        try tree.file("list/.hidden", "h")
        try tree.file("list/zdir/x", "x")
        try tree.directory("list/.git")
        try tree.symlink("list/inside", to: "space name.txt")
        try tree.symlink("list/escape", to: outside.path + "/secret.txt")
        try tree.symlink("outside", to: outside.path)
        try tree.setModified("list/space name.txt", seconds: 784_111_777)
        try tree.file("indexed/index.html", "index")
    }

    func handler(browse: Bool = true, symlinks: SymlinkPolicy = .deny) throws -> StaticFileHandler {
        try StaticFileHandler(root: tree.path, symlinks: symlinks, browse: browse)
    }

    @Test func htmlListsEscapedNamesDirectoriesFirstWithoutHiddenOnes() throws {
        let served = try get(handler(), "/list/")
        #expect(served.status == .ok)
        #expect(served.header("Content-Type") == "text/html; charset=utf-8")
        #expect(served.header("Vary") == "Accept")
        let html = served.text
        #expect(html.contains("<title>Index of /list/</title>"))
        #expect(html.contains("<a href=\"../\">../</a>"))
        #expect(html.contains("<a href=\"./zdir/\">zdir/</a>"))
        #expect(html.contains("<a href=\"./a%3Cb%26c%22.txt\">a&lt;b&amp;c&quot;.txt</a></td><td>1</td>"))
        #expect(html.contains("<a href=\"./space%20name.txt\">space name.txt</a></td><td>2</td>"
                              + "<td>Sun, 06 Nov 1994 08:49:37 GMT</td>"))
        #expect(html.contains("<a href=\"./%C3%BCn%C3%AF.txt\">ünï.txt</a>"))
        #expect(!html.contains("hidden") && !html.contains(".git"))
        #expect(!html.contains("inside") && !html.contains("escape"), "symlinks are denied")
        let order = ["zdir/", "a&lt;b", "space name", "ünï"].map { html.range(of: $0)!.lowerBound }
        #expect(order == order.sorted())
    }

    @Test func jsonWhenAskedForIt() throws {
        let served = try get(handler(), "/list/", headers: [("Accept", "application/json")])
        #expect(served.header("Content-Type") == "application/json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(served.body)) as? [String: Any])
        #expect(json["path"] as? String == "/list/")
        #expect(json["truncated"] as? Bool == false)
        let entries = try #require(json["entries"] as? [[String: Any]])
        #expect(entries.compactMap { $0["name"] as? String } == ["zdir", "a<b&c\".txt", "space name.txt", "ünï.txt"])
        #expect(entries[0]["type"] as? String == "directory")
        #expect(entries[2]["size"] as? Int == 2)
        #expect(entries[2]["modified"] as? String == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test(arguments: ["text/html, application/json", "application/json;q=0", "*/*", "text/html"])
    func htmlUnlessJSONAloneIsAccepted(_ accept: String) throws {
        let served = try get(handler(), "/list/", headers: [("Accept", accept)])
        #expect(served.header("Content-Type") == "text/html; charset=utf-8")
    }

    @Test func symlinksAreListedAsThePolicyAllows() throws {
        let inside = try get(handler(symlinks: .insideRoot), "/list/", headers: [("Accept", "application/json")]).text
        #expect(inside.contains("\"inside\"") && !inside.contains("escape"))
        let follow = try get(handler(symlinks: .follow), "/list/", headers: [("Accept", "application/json")]).text
        #expect(follow.contains("\"inside\"") && follow.contains("\"escape\""))
    }

    @Test func aDirectoryOutsideTheRootIsNeverListed() throws {
        for policy in [SymlinkPolicy.deny, .insideRoot] {
            #expect(try get(handler(symlinks: policy), "/outside/").status == .notFound, "\(policy)")
        }
        #expect(try get(handler(symlinks: .follow), "/outside/").text.contains("secret.txt"), "follow means follow")
    }

    @Test func offByDefaultAndNeverInsteadOfAnIndex() throws {
        #expect(try get(handler(browse: false), "/list/").status == .notFound)
        #expect(try get(handler(), "/indexed/").text == "index")
        #expect(try get(handler(), "/list").status == .movedPermanently)
        #expect(try get(handler(), "/list/.git/").status == .notFound)
    }

    @Test func aHugeDirectoryIsCutAtTheLimitAndSaysSo() throws {
        let huge = try TemporaryTree()
        for index in 0...DirectoryListing.maximumEntries {
            guard FileManager.default.createFile(atPath: huge.path + "/f\(index)", contents: nil) else {
                throw POSIXError(.EIO)
            }
        }
        let handler = try StaticFileHandler(root: huge.path, browse: true)
        let json = try get(handler, "/", headers: [("Accept", "application/json")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.body)) as? [String: Any])
        #expect((object["entries"] as? [Any])?.count == DirectoryListing.maximumEntries)
        #expect(object["truncated"] as? Bool == true)
        #expect(try get(handler, "/").text.contains("<p>Only the first 10000 entries are listed.</p>"))
    }

    @Test func escapesForEachLanguage() {
        #expect(DirectoryListing.htmlEscaped("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;")
        #expect(DirectoryListing.percentEncoded("a b/?#%~é") == "a%20b%2F%3F%23%25~%C3%A9")
        #expect(JSONText.string("q\"\\\n\u{1}é") == "\"q\\\"\\\\\\n\\u0001é\"")
    }
}
