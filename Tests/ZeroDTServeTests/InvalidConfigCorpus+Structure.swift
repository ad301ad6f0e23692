extension InvalidConfigCase {
    /// Unknown, missing and mistyped keys, and the server list itself.
    static let structure: [InvalidConfigCase] = [
        .init("misspelt top-level key", """
            sevrers:
              - name: a
            """, [
            "1:1: unknown key 'sevrers' in 'top level'",
            "note: did you mean 'servers'?",
        ]),
        .init("misspelt server key", """
            servers:
              - name: a
                lisen: [":80"]
                routes: [{ path: /, respond: hi }]
            """, [
            "3:5: unknown key 'lisen' in 'server'",
            "note: did you mean 'listen'?",
        ]),
        .init("an access log mapping without its file, and an unknown format", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
            log:
              access: { format: apache }
            """, [
            "6:11: missing required key 'file' in 'access'",
            "6:21: 'format' must be one of common, combined, json, found 'apache'",
        ]),
        .init("a log file in a directory that does not exist", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
            log:
              file: /nonexistent-zerodt/zerodt.log
            """, [
            "6:9: directory '/nonexistent-zerodt' for 'file' does not exist",
        ]),
        .init("unknown key without a close match", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
            log:
              colour: red
            """, [
            "6:3: unknown key 'colour' in 'log'",
            "note: valid keys here: level, format, file, access",
        ]),
        .init("unknown key in CRLF file", "servers:\r\n  - name: a\r\n    listen: [\":80\"]\r\n    routes: [{ path: /, respond: hi }]\r\n    limts: {}\r\n", [
            "5:5: unknown key 'limts' in 'server'",
            "note: did you mean 'limits'?",
        ]),
        .init("servers is a mapping", """
            servers:
              name: a
            """, [
            "2:3: 'servers' must be a list, found a mapping",
        ]),
        .init("servers is null", """
            servers:
            log: {}
            """, [
            "1:9: 'servers' must be a list, found null",
        ]),
        .init("empty server list", """
            servers: []
            """, [
            "1:10: 'servers' must not be empty",
        ]),
        .init("server is a scalar", """
            servers:
              - a
            """, [
            "2:5: 'server' must be a mapping, found a scalar",
        ]),
        .init("server missing listen and routes", """
            servers:
              - name: a
            """, [
            "2:5: missing required key 'listen' in 'server'",
            "2:5: missing required key 'routes' in 'server'",
        ]),
        .init("name is a list, backlog a word, access not a boolean", """
            servers:
              - name: [a]
                listen:
                  - address: ":80"
                    backlog: lots
                routes: [{ path: /, respond: hi }]
            log:
              access: maybe
            """, [
            "2:11: 'name' must be a string, found a list",
            "5:18: 'backlog' must be a whole number, found 'lots'",
            "8:11: 'access' must be true or false, found 'maybe'",
        ]),
        .init("name is null and invalid", """
            servers:
              - name: ~
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
              - name: "a b"
                listen: [":81"]
                routes: [{ path: /, respond: hi }]
            """, [
            "2:11: 'name' must be a string, found null",
            "5:11: server name 'a b' may only contain letters, digits, '-' and '_'",
        ]),
        .init("duplicate server names", """
            servers:
              - name: web
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
              - name: web
                listen: [":81"]
                routes: [{ path: /, respond: hi }]
            """, [
            "5:5: duplicate server name 'web'",
            "note 2:5: first declared here",
        ]),
        .init("zero body timeout", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
                timeouts: { read_body: 0s }
            """, [
            "5:28: 'read_body' must be longer than 0s",
        ]),
        .init("durations", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
                timeouts:
                  read_header: 10
                  idle: 5 parsecs
                  write: 0s
                  shutdown: 2s
                  drain_grace: 3s
            restart:
              wait_child: 0
              wait_parent: -1s
            """, [
            "6:20: 'read_header' must be a duration such as 250ms, 10s or 1m30s, found '10'",
            "note: add a unit, as in '10s' or '10ms'",
            "7:13: 'idle' must be a duration such as 250ms, 10s or 1m30s, found '5 parsecs'",
            "8:14: 'write' must be longer than 0s",
            "10:20: 'drain_grace' (3s) must not exceed 'shutdown' (2s)",
            "12:15: 'wait_child' must be longer than 0s",
            "13:16: 'wait_parent' must be a duration such as 250ms, 10s or 1m30s, found '-1s'",
        ]),
        .init("sizes and counts", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
                limits:
                  max_header_size: 10
                  max_body_size: 1XB
                  max_connections: 0
              - name: b
                listen: [":81"]
                routes: [{ path: /, respond: hi }]
                limits:
                  max_header_size: 99999999999999999KiB
                  max_connections: +5
                  max_concurrent_streams: 0
            """, [
            "6:24: 'max_header_size' must be at least 1024 bytes",
            "7:22: 'max_body_size' must be a size such as 512, 16KiB or 1MiB, found '1XB'",
            "8:24: 'max_connections' must be between 1 and 1000000, found 0",
            "13:24: 'max_header_size' must be a size such as 512, 16KiB or 1MiB, found '99999999999999999KiB'",
            "14:24: 'max_connections' must be a whole number, found '+5'",
            "15:31: 'max_concurrent_streams' must be between 1 and 10000, found 0",
        ]),
        // Near misses get the spelling that works; `$NAME` is taken literally.
        .init("values in a spelling from elsewhere", """
            servers:
              - name: a
                listen: ["127.0.0.1:$PORT"]
                routes: [{ path: /, respond: hi }]
                limits:
                  max_body_size: 1mib
                  max_header_size: 16k
                timeouts:
                  idle: 10S
                  shutdown: 1min
            pid_file: $HOME/zerodt.pid
            """, [
            "3:14: invalid listen address '127.0.0.1:$PORT': port '$PORT' is not a number",
            "note: environment variables are expanded only when written as ${PORT}",
            "6:22: 'max_body_size' must be a size such as 512, 16KiB or 1MiB, found '1mib'",
            "note: did you mean '1MiB'? (units are case-sensitive)",
            "7:24: 'max_header_size' must be a size such as 512, 16KiB or 1MiB, found '16k'",
            "note: did you mean '16KiB'?",
            "9:13: 'idle' must be a duration such as 250ms, 10s or 1m30s, found '10S'",
            "note: did you mean '10s'? (units are case-sensitive)",
            "10:17: 'shutdown' must be a duration such as 250ms, 10s or 1m30s, found '1min'",
            "note: did you mean '1m'?",
            "11:11: directory '{TMP}/$HOME' for 'pid_file' does not exist",
            "note: environment variables are expanded only when written as ${HOME}",
        ]),
        .init("log level and format", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
            log:
              level: verbose
              format: jsno
            """, [
            "6:10: 'level' must be one of trace, debug, info, notice, warning, error, critical, found 'verbose'",
            "7:11: 'format' must be one of text, json, found 'jsno'",
            "note: did you mean 'json'?",
        ]),
        .init("restart watch and process files", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
            restart:
              watch: [binary, config, missing.txt, [x]]
            pid_file: nowhere/zerodt.pid
            """, [
            "6:27: watched file '{TMP}/missing.txt' does not exist",
            "note: 'watch' takes 'binary', 'config' or the path of an existing file",
            "6:40: 'watch' must be a string, found a list",
            "7:11: directory '{TMP}/nowhere' for 'pid_file' does not exist",
        ]),
        .init("NUL characters in file paths", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, static: "public\\0junk" }]
            restart:
              watch: ["file.txt\\0"]
            pid_file: "x\\0y"
            control: "c\\0d"
            """, [
            "4:33: 'root' must not contain a NUL character",
            "6:11: 'watch' must not contain a NUL character",
            "7:11: 'pid_file' must not contain a NUL character",
            "8:10: 'control' must not contain a NUL character",
        ]),
        .init("control path too long", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
            control: /run/\(String(repeating: "c", count: 100)).sock
            """, [
            "5:10: unix socket path for 'control' is 110 bytes long; the limit is 107",
            "note: use a shorter path, e.g. under /run",
        ]),
    ]
}
