extension InvalidConfigCase {
    /// Texts that are not YAML, or not a mapping at the top.
    static let syntax: [InvalidConfigCase] = [
        .init("unclosed flow sequence", """
            servers: [
              { name: a
            """, [
            "3:1: invalid YAML: did not find expected ',' or '}'",
            "note 2:3: while parsing a flow mapping",
        ]),
        .init("mapping value where none is allowed", """
            servers:
              - name: a
                listen: [":80"] x: 1
            """, [
            "3:21: invalid YAML: did not find expected key",
            "note 2:5: while parsing a block mapping",
        ]),
        .init("tab indentation", "servers:\n\t- name: a\n", [
            "2:1: invalid YAML: found character that cannot start any token",
        ]),
        // libyaml notices these a line late or at the ':'; the mistake is where the line starts.
        .init("key without a colon", """
            servers:
              - name: web
                listen [":8080"]
                routes: []
            """, [
            "3:5: invalid YAML: this line has no ':' after its key",
            "note 4:5: the YAML parser gave up here: could not find expected ':'",
        ]),
        .init("line indented deeper than its siblings", """
            servers:
              - name: web
                listen: x
                  routes: []
            """, [
            "4:7: invalid YAML: this line is indented deeper than the key above it",
            "note 4:13: the YAML parser gave up here: mapping values are not allowed in this context",
        ]),
        .init("value with a colon and a space", """
            servers:
              - name: web
                listen: [":80"]
                routes:
                  - path: /
                    respond: Error: oops
            """, [
            "6:23: invalid YAML: mapping values are not allowed in this context",
            "note: a value that contains ': ' must be quoted",
        ]),
        .init("unterminated quoted scalar", """
            servers:
              - name: "a
            """, [
            "2:13: invalid YAML: found unexpected end of stream",
            "note 2:11: while scanning a quoted scalar",
        ]),
        .init("undefined alias", """
            servers: *nothing
            """, [
            "1:10: invalid YAML: found undefined alias",
        ]),
        .init("duplicate top-level key", """
            servers: []
            log: {}
            servers: []
            """, [
            "3:1: duplicate key 'servers'",
            "note 1:1: first declared here",
        ]),
        .init("duplicate key inside a server", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    respond: hi
                name: b
            """, [
            "7:5: duplicate key 'name'",
            "note 2:5: first declared here",
        ]),
        .init("duplicate key with CRLF line ends", "servers: []\r\nlog: {}\r\nservers: []\r\n", [
            "3:1: duplicate key 'servers'",
            "note 1:1: first declared here",
        ]),
        .init("NUL character", "servers:\n  - name: a\u{0}\n", [
            "2:12: invalid YAML text: control characters are not allowed",
        ]),
        .init("NUL character after CRLF lines and a combining accent", "log: {}\r\nservers:\r\n  - name: e\u{301}\u{0}\r\n", [
            "3:13: invalid YAML text: control characters are not allowed",
        ]),
        .init("duplicate key in a flow mapping", """
            servers:
              - {name: a, name: b}
            """, [
            "2:6: duplicate key 'name'",
        ]),
        .init("two documents", """
            servers: []
            ---
            servers: []
            """, [
            "2:1: invalid YAML: but found another document",
            "note 1:1: expected a single document in the stream",
        ]),
        .init("empty file", "", [
            "1:1: config is empty; it needs at least a 'servers:' list",
        ]),
        .init("only comments", "# nothing here\n\n", [
            "1:1: config is empty; it needs at least a 'servers:' list",
        ]),
        .init("explicit null document", "~\n", [
            "1:1: config is empty; it needs at least a 'servers:' list",
        ]),
        .init("top-level scalar", "hello\n", [
            "1:1: 'top level' must be a mapping, found a scalar",
        ]),
        .init("top-level list", """
            - name: a
            - name: b
            """, [
            "1:1: 'top level' must be a mapping, found a list",
        ]),
    ]
}
