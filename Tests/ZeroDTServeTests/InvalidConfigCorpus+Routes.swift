extension InvalidConfigCase {
    /// `routes:` and their actions.
    static let routes: [InvalidConfigCase] = [
        .init("route without an action", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
            """, [
            "5:9: route needs one of static, respond, redirect, handler",
        ]),
        // The typo is the cause: "route needs one of …" would only repeat it, and being
        // first it is what `reload`, `status` and STATUS= would show.
        .init("misspelt route action", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    respnd: hi
            """, [
            "6:9: unknown key 'respnd' in 'route'",
            "note: did you mean 'respond'?",
        ]),
        // No close match: both stay, the unknown key first although it comes later.
        .init("route with only an unknown key", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    answer: hi
            """, [
            "6:9: unknown key 'answer' in 'route'",
            "note: valid keys here: path, static, respond, redirect, handler, options, headers, encode, "
                + "encode_min_size, encode_level",
            "5:9: route needs one of static, respond, redirect, handler",
        ]),
        .init("route with two actions", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    redirect: /elsewhere
                    static: public
            """, [
            "7:9: route has both 'redirect' and 'static'; give each its own route",
        ]),
        .init("route without a path", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - respond: hi
            """, [
            "5:9: missing required key 'path' in 'route'",
        ]),
        .init("duplicate route paths", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /api/
                    respond: one
                  - path: /
                    respond: root
                  - path: /api/
                    respond: two
            """, [
            "9:9: duplicate route path '/api/' in this server",
            "note 5:9: first declared here",
        ]),
        .init("bad route paths", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: api
                    respond: hi
                  - path: /a/../b
                    respond: hi
                  - path: /search?q
                    respond: hi
                  - path: "/a b"
                    respond: hi
            """, [
            "5:15: route path 'api' must start with '/'",
            "7:15: route path '/a/../b' contains a '.' or '..' segment",
            "9:15: route path '/search?q' contains '?'",
            "11:15: route path '/a b' contains a space or control character",
        ]),
        .init("static root missing or a file", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /missing/
                    static: missing
                  - path: /file/
                    static:
                      root: file.txt
            """, [
            "6:17: static root '{TMP}/missing' does not exist",
            "9:17: static root '{TMP}/file.txt' is not a directory",
        ]),
        .init("static options", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    static:
                      root: public
                      index: [index.html, sub/index.html]
                      symlinks: inside-root
                      hidden: sometimes
                      cache_control: "a\\nb"
                  - path: /b/
                    static:
                      index: x
            """, [
            "8:31: index 'sub/index.html' must be a file name, not a path",
            "9:21: 'symlinks' must be one of deny, inside_root, follow, found 'inside-root'",
            "note: did you mean 'inside_root'?",
            "10:19: 'hidden' must be true or false, found 'sometimes'",
            "11:26: 'cache_control' must not contain line breaks or control characters",
            "14:11: missing required key 'root' in 'static'",
        ]),
        .init("redirect status and target", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /old
                    redirect:
                      to: /new
                      status: 200
                  - path: /spaces
                    redirect: /a b
                  - path: /none
                    redirect:
                      status: 301
            """, [
            "8:19: 'status' must be between 300 and 399, found 200",
            "10:19: redirect target '/a b' must be a URL or a path without spaces",
            "13:11: 'redirect' needs 'to' (a URL or path) or 'scheme' (same host and path)",
        ]),
        .init("redirect to another scheme", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /both
                    redirect: {to: /new, scheme: https}
                  - path: /scheme
                    redirect: {scheme: htps}
                  - path: /port
                    redirect: {to: /new, port: 8443}
                  - path: /badport
                    redirect: {scheme: https, port: 0}
            """, [
            "6:30: 'redirect' takes 'to' or 'scheme', not both",
            "8:28: 'scheme' must be one of http, https, found 'htps'",
            "note: did you mean 'https'?",
            "10:30: 'port' applies only with 'scheme'",
            "12:41: 'port' must be between 1 and 65535, found 0",
        ]),
        .init("respond status out of range", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /low
                    respond:
                      status: 99
                  - path: /high
                    respond:
                      status: 600
                  - path: /empty
                    respond:
                      status: 204
                      body: not allowed
                  - path: /switch
                    respond:
                      status: 101
            """, [
            "7:19: 'status' must be between 100 and 599, found 99",
            "10:19: 'status' must be between 100 and 599, found 600",
            "14:11: status 204 cannot carry a body",
            "17:19: status 101 is informational (1xx) and cannot be a final response",
        ]),
        .init("respond headers", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    respond:
                      body: hi
                      headers:
                        "bad name": x
                        Content-Length: "5"
                        X-Ok: fine
                        X-List: [a]
                  - path: /h
                    respond:
                      headers: [a]
            """, [
            "9:13: 'bad name' is not a valid header name",
            "10:13: header 'Content-Length' is set by the server and cannot be configured",
            "12:21: 'X-List' must be a string, found a list",
            "15:20: 'headers' must be a mapping of header names to values, found a list",
        ]),
        .init("unknown handler module in an empty build", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    handler: echo
            """, [
            "6:18: unknown handler module 'echo'",
            "note: this build has no handler modules; see docs/modules.md",
        ]),
        .init("misspelt handler module", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    handler: ecoh
                  - path: /x
                    handler: zzzzzz
            """, [
            "6:18: unknown handler module 'ecoh'",
            "note: did you mean 'echo'?",
            "8:18: unknown handler module 'zzzzzz'",
            "note: known modules: echo, proxy",
        ], modules: ["echo", "proxy"]),
        .init("options on a non-handler route", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    respond: hi
                    options: {}
            """, [
            "7:9: 'options' applies only to 'handler' routes",
        ]),
    ]
}
