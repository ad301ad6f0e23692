extension InvalidConfigCase {
    static let syntaxNote = "note: write ${NAME} or ${NAME:-default}, where NAME is letters, digits and '_'; $$ is a literal $"

    /// `${NAME}` references: unset variables, malformed references, and values that expand
    /// to something invalid.
    static let environment: [InvalidConfigCase] = [
        // The error is at the `$`, and the port error it causes is not reported as well.
        .init("unset variable", """
            servers:
              - name: a
                listen: ["127.0.0.1:${PORT}"]
                routes: [{ path: /, respond: hi }]
                timeouts:
                  shutdown: ${GRACE}
            """, [
            "3:25: environment variable 'PORT' is not set",
            "note: set it, or give a default as in ${PORT:-value}",
            "6:17: environment variable 'GRACE' is not set",
            "note: set it, or give a default as in ${GRACE:-value}",
        ]),
        .init("malformed references", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - { path: /a, respond: "${}" }
                  - { path: /b, respond: "x${1X}y" }
                  - { path: /c, respond: '${A B} and ${VAR-x}' }
                  - { path: /d, respond: "${:-x}" }
                  - { path: /e, respond: "${A:-${B}}" }
                  - { path: /f, respond: "ok ${PORT" }
                  - { path: /g, respond: "${" }
            """, [
            "5:31: empty variable reference '${}'", syntaxNote,
            "6:32: invalid variable name '1X': a name must not start with a digit", syntaxNote,
            "7:31: invalid variable reference '${A B}'", syntaxNote,
            "7:42: invalid variable reference '${VAR-x}'", syntaxNote,
            "8:31: missing variable name in '${:-x}'", syntaxNote,
            "9:31: invalid variable reference '${A:-${B}'",
            "note: a default is taken as written and cannot contain '${'; references do not nest",
            "10:34: unterminated variable reference '${PORT': no closing '}'", syntaxNote,
            "11:31: unterminated variable reference '${': no closing '}'", syntaxNote,
        ]),
        // An escape before the `$` or a block scalar: the column within the value cannot be
        // told from the text, so the error is at the value.
        .init("references where the column is the value's", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - { path: /a, respond: "\\t${TAB}" }
                  - path: /b
                    respond: |
                      line
                      ${BLOCK}
            """, [
            "5:30: environment variable 'TAB' is not set",
            "note: set it, or give a default as in ${TAB:-value}",
            "7:18: environment variable 'BLOCK' is not set",
            "note: set it, or give a default as in ${BLOCK:-value}",
        ]),
        // What a variable holds is read as the value would be: a bad one is reported at the
        // value, saying what it was expanded from.
        .init("values from the environment that are invalid", """
            servers:
              - name: a
                listen: ["${HOST}:${PORT}"]
                routes: [{ path: /, respond: hi }]
                limits: { max_connections: "${MAX}" }
                timeouts: { idle: "${IDLE:-forever}" }
            """, [
            "3:14: invalid listen address 'localhost:http': port 'http' is not a number",
            "note: the value is expanded from '${HOST}:${PORT}'",
            "5:32: 'max_connections' must be a whole number, found '500'",
            "note: the value is expanded from '${MAX}'",
            "6:23: 'idle' must be a duration such as 250ms, 10s or 1m30s, found 'forever'",
            "note: the value is expanded from '${IDLE:-forever}'",
        ], environment: ["HOST": "localhost", "PORT": "http", "MAX": "500", "IDLE": ""]),
        .init("an unquoted reference in a flow mapping", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: ${BODY} }]
            """, [
            "4:35: invalid YAML: did not find expected ',' or '}'",
            "note: inside [ ] or { }, a value with ${…} must be quoted, as in \"${PORT}\"",
            "note 4:14: while parsing a flow mapping",
        ]),
        // A value cannot add structure, and keys are not expanded.
        .init("a variable holding YAML is text, and keys are not expanded", """
            servers:
              - name: a
                listen: ${LISTEN}
                routes:
                  - path: /
                    respond: hi
                    ${KEY}: x
            """, [
            "3:13: 'listen' must be a list, found a scalar",
            "note: the value is expanded from '${LISTEN}'",
            "7:9: unknown key '${KEY}' in 'route'",
            "note: valid keys here: path, static, respond, redirect, handler, options, headers, encode, "
                + "encode_min_size, encode_level",
        ], environment: ["LISTEN": "[\":80\"]", "KEY": "path"]),
    ]
}
