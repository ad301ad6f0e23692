extension InvalidConfigCase {
    /// `headers:`, `error_pages:`, and the static `fallback:` and `browse:`.
    static let site: [InvalidConfigCase] = [
        .init("response headers that cannot be configured", """
            servers:
              - name: a
                listen: [":80"]
                headers:
                  set:
                    "X Bad": x
                    Date: today
                    X-Split: "a\\r\\nInjected: yes"
                    X-Frame-Options: DENY
                    x-frame-options: SAMEORIGIN
                  remove: [Transfer-Encoding, "", [a]]
                routes:
                  - path: /
                    static: { root: ".", precompressed: [gzip] }
                    headers: { remove: [Content-Encoding] }
            """, [
            "6:9: 'X Bad' is not a valid header name",
            "7:9: header 'Date' is set by the server and cannot be configured",
            "8:18: 'X-Split' must not contain line breaks or control characters",
            "10:9: header 'x-frame-options' is given twice (names ignore case); join the values with ', '",
            "note 9:9: first given here",
            "11:16: header 'Transfer-Encoding' is set by the server and cannot be configured",
            "11:35: 'remove' must not be empty",
            "11:39: 'remove' must be a string, found a list",
            "15:29: header 'Content-Encoding' is set by the server and cannot be configured",
        ]),
        .init("a header both set and removed", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    respond: hi
                    headers: { set: {Cache-Control: no-store}, remove: [cache-control] }
            """, [
            "7:61: header 'cache-control' is both set and removed",
        ]),
        .init("route headers with unknown keys and wrong shapes", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    respond: hi
                    headers: { add: {X-A: b}, remove: X-B }
                  - path: /b
                    respond: hi
                    headers: [X-A]
            """, [
            "7:20: unknown key 'add' in 'headers'",
            "note: valid keys here: set, remove",
            "7:43: 'remove' must be a list, found a scalar",
            "10:18: 'headers' must be a mapping, found a list",
        ]),
        .init("error pages with bad keys and unusable files", """
            servers:
              - name: a
                listen: [":80"]
                error_pages:
                  404: file.txt
                  399: file.txt
                  6xx: file.txt
                  500: missing.html
                  502: public
                  5xx: ""
                routes:
                  - { path: /, respond: hi }
            """, [
            "6:7: error page key '399' must be a status code from 400 to 599, or 4xx or 5xx",
            "7:7: error page key '6xx' must be a status code from 400 to 599, or 4xx or 5xx",
            "8:12: cannot read error page '{TMP}/missing.html': no such file",
            "9:12: cannot read error page '{TMP}/public': it is a directory, not a regular file",
            "10:12: 'error page' must not be empty",
        ]),
        .init("error pages not a mapping", """
            servers:
              - name: a
                listen: [":80"]
                error_pages: [404]
                routes:
                  - { path: /, respond: hi }
            """, [
            "4:18: 'error_pages' must be a mapping of status codes to files, found a list",
        ]),
        .init("static fallback outside the root, missing or a directory", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /a/
                    static: { root: ., fallback: ../file.txt }
                  - path: /b/
                    static: { root: ., fallback: /missing.html }
                  - path: /c/
                    static: { root: ., fallback: /public }
                  - path: /d/
                    static: { root: ., fallback: /.secret }
                  - path: /e/
                    static: { root: ., fallback_extensions: true, browse: maybe }
            """, [
            "6:38: fallback '../file.txt' must name a file inside the root, without '.' or '..' segments",
            "8:38: fallback file '{TMP}/missing.html' does not exist",
            "10:38: fallback '{TMP}/public' is a directory, not a file",
            "12:38: fallback '/.secret' is a hidden name, which this route does not serve",
            "note: set 'hidden: true' to serve names starting with '.'",
            "14:28: 'fallback_extensions' applies only with 'fallback'",
            "14:63: 'browse' must be true or false, found 'maybe'",
        ]),
    ]
}
