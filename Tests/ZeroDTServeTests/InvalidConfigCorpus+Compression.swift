extension InvalidConfigCase {
    /// `precompressed:`, `encode:`, `encode_min_size:` and `encode_level:`.
    static let compression: [InvalidConfigCase] = [
        .init("compression codings that are unknown, repeated or cannot be produced", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /a/
                    static: { root: ., precompressed: [gzip, gzipp, gzip] }
                  - path: /b
                    respond: hi
                    encode: [zstd, gzip, br]
                  - path: /c
                    respond: hi
                    encode: []
            """, [
            "6:50: 'precompressed' must be one of br, zstd, gzip, found 'gzipp'",
            "note: did you mean 'gzip'?",
            "6:57: 'precompressed' lists 'gzip' twice",
            "9:18: 'encode' cannot compress to 'zstd' on the fly; it supports gzip",
            "note: serve files compressed ahead of time with 'precompressed: [zstd]' on a static route",
            "9:30: 'encode' cannot compress to 'br' on the fly; it supports gzip",
            "note: serve files compressed ahead of time with 'precompressed: [br]' on a static route",
            "12:17: 'encode' must not be empty",
        ]),
        .init("encode settings on the wrong route or out of range", """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /old
                    redirect: /new
                    encode: gzip
                  - path: /b
                    respond: hi
                    encode_level: 3
                  - path: /c
                    respond: hi
                    encode: gzip
                    encode_level: 10
                    encode_min_size: lots
            """, [
            "7:9: 'encode' does not apply to 'redirect' routes: their bodies are a few bytes",
            "10:9: 'encode_level' applies only with 'encode'",
            "14:23: 'encode_level' must be between 1 and 9, found 10",
            "15:26: 'encode_min_size' must be a size such as 512, 16KiB or 1MiB, found 'lots'",
        ]),
    ]
}
