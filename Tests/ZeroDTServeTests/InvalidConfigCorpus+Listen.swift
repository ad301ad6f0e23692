extension InvalidConfigCase {
    /// `listen:` addresses and their options.
    static let listen: [InvalidConfigCase] = [
        .init("wildcard and loopback on the same port", """
            servers:
              - name: a
                listen:
                  - ":8080"
                  - 127.0.0.1:8080
                routes: [{ path: /, respond: hi }]
            """, [
            "5:9: address 127.0.0.1:8080 overlaps :8080 declared earlier",
            "note 4:9: first declared here",
        ]),
        .init("two spellings of ::1", """
            servers:
              - name: a
                listen: ["[::1]:80"]
                routes: [{ path: /, respond: hi }]
              - name: b
                listen: ["[0:0:0:0:0:0:0:1]:80"]
                routes: [{ path: /, respond: hi }]
            """, [
            "6:14: address [0:0:0:0:0:0:0:1]:80 overlaps [::1]:80 declared earlier",
            "note 3:14: first declared here",
        ]),
        .init("same address twice and same unix path twice", """
            servers:
              - name: a
                listen:
                  - 127.0.0.1:80
                  - unix:a.sock
                  - 127.0.0.1:80
                  - address: unix:{TMP}/a.sock
                routes: [{ path: /, respond: hi }]
            """, [
            "6:9: address 127.0.0.1:80 is declared twice",
            "note 4:9: first declared here",
            "7:9: address unix:{TMP}/a.sock is declared twice",
            "note 5:9: first declared here",
        ]),
        .init("ports out of range or not numbers", """
            servers:
              - name: a
                listen:
                  - ":0"
                  - ":70000"
                  - ":http"
                  - "8080"
                  - ":-1"
                routes: [{ path: /, respond: hi }]
            """, [
            "4:9: invalid listen address ':0': port 0 is out of range (1-65535)",
            "5:9: invalid listen address ':70000': port 70000 is out of range (1-65535)",
            "6:9: invalid listen address ':http': port 'http' is not a number",
            "7:9: invalid listen address '8080': expected HOST:PORT, :PORT or unix:PATH",
            "note: to listen on every interface write ':8080'",
            "8:9: invalid listen address ':-1': port -1 is out of range (1-65535)",
        ]),
        .init("malformed hosts", """
            servers:
              - name: a
                listen:
                  - example.com:80
                  - "[::1:80"
                  - "::1:80"
                  - 300.1.1.1:80
                  - "[1.2.3.4]:80"
                  - "[::1]80"
                  - "unix:"
                  - "127.0.0.1\\0junk:80"
                  - "unix:a\\0b"
                routes: [{ path: /, respond: hi }]
            """, [
            "4:9: invalid listen address 'example.com:80': 'example.com' is not an IP address (use an IPv4 literal, [IPv6], localhost or :PORT)",
            "5:9: invalid listen address '[::1:80': missing ']' after IPv6 address",
            "6:9: invalid listen address '::1:80': IPv6 addresses must be in brackets, as in [::1]:8080",
            "7:9: invalid listen address '300.1.1.1:80': '300.1.1.1' is not an IP address (use an IPv4 literal, [IPv6], localhost or :PORT)",
            "8:9: invalid listen address '[1.2.3.4]:80': '1.2.3.4' is not an IPv6 address",
            "9:9: invalid listen address '[::1]80': expected ':PORT' after ']'",
            "10:9: invalid listen address 'unix:': unix socket path is empty",
            "11:9: invalid listen address: it contains a control character",
            "12:9: invalid listen address: it contains a control character",
        ]),
        .init("unix path too long for sun_path", """
            servers:
              - name: a
                listen: ["unix:/tmp/\(String(repeating: "x", count: 103))"]
                routes: [{ path: /, respond: hi }]
            """, [
            "3:14: unix socket path for 'listen' is 108 bytes long; the limit is 107",
            "note: use a shorter path, e.g. under /run",
        ]),
        .init("unix path in a missing directory", """
            servers:
              - name: a
                listen: ["unix:missing/zerodt.sock"]
                routes: [{ path: /, respond: hi }]
            """, [
            "3:14: directory '{TMP}/missing' for 'listen' does not exist",
        ]),
        .init("listener options", """
            servers:
              - name: a
                listen:
                  - address: ":80"
                    mode: 0660
                    name: web
                  - address: unix:s.sock
                    mode: 999
                    backlog: 0
                    name: web
                  - name: "no address"
                  - address: unix:t.sock
                    mode: "+777"
                routes: [{ path: /, respond: hi }]
            """, [
            "5:15: 'mode' applies only to unix sockets",
            "7:9: duplicate listener name 'web'",
            "note 4:9: first declared here",
            "8:15: 'mode' must be octal permission bits such as 0660, found '999'",
            "9:18: 'backlog' must be between 1 and 65535, found 0",
            "11:9: missing required key 'address' in 'listen'",
            "11:15: listener name 'no address' may only contain letters, digits, '-' and '_'",
            "13:15: 'mode' must be octal permission bits such as 0660, found '+777'",
        ]),
        .init("control socket is also a listener", """
            servers:
              - name: a
                listen: [unix:ctl.sock]
                routes: [{ path: /, respond: hi }]
            control: ctl.sock
            """, [
            "5:10: control socket '{TMP}/ctl.sock' is also a listener",
            "note 3:14: listener declared here",
        ]),
        // A regular file or a directory at a socket path is someone's data, never a stale
        // socket: serving would refuse it, so `check` does.
        .init("socket paths that name existing files", """
            servers:
              - name: a
                listen: [unix:file.txt, "unix:public"]
                routes: [{ path: /, respond: hi }]
            control: file.txt
            """, [
            "3:14: 'listen' path '{TMP}/file.txt' is a regular file, not a socket",
            "note: zerodt-serve never replaces it; remove it or choose another path",
            "3:29: 'listen' path '{TMP}/public' is a directory, not a socket",
            "note: zerodt-serve never replaces it; remove it or choose another path",
            "5:10: 'control' path '{TMP}/file.txt' is a regular file, not a socket",
            "note: zerodt-serve never replaces it; remove it or choose another path",
            "5:10: control socket '{TMP}/file.txt' is also a listener",
            "note 3:14: listener declared here",
        ]),
        .init("control socket is the pid file", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
            pid_file: ./zerodt.pid
            control: zerodt.pid
            """, [
            "6:10: control socket '{TMP}/zerodt.pid' is also the pid_file",
            "note 5:11: pid_file declared here",
        ]),
        .init("pid file is a listener", """
            servers:
              - name: a
                listen: [unix:web.sock]
                routes: [{ path: /, respond: hi }]
            pid_file: web.sock
            """, [
            "5:11: pid_file '{TMP}/web.sock' is also a listener",
            "note 3:14: listener declared here",
        ]),
    ]
}
