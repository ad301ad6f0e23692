#!/usr/bin/env python3
"""An HTTP/2 client over TLS that downloads two files at once on one connection, cuts one of
them short on disk while the server is sending it, and reports how each stream ended.

    h2_truncated_download.py PORT HOST CA_FILE CUT_PATH CUT_FILE CUT_SIZE OTHER_PATH SMALL_PATH [--with-body]

Streams 1 (CUT_PATH) and 3 (OTHER_PATH) start with a 16 KiB window each, so that the server
stops after their first 16 KiB; then the client truncates CUT_FILE (the file on disk that
CUT_PATH serves) to CUT_SIZE bytes and opens both windows wide. After stream 1 has ended it
asks for SMALL_PATH on stream 5, on the same connection. `--with-body` sends stream 1's GET
with a one-byte body (so that the server answers it on a stream channel of its own). It prints
one line per stream, `STREAM complete BYTES` (END_STREAM) or `STREAM reset CODE BYTES`, then
`done` (exit 0); or `failed: REASON` (exit 1) on a GOAWAY or the connection's end.
Only the standard library (h2_frames.py).
"""
import os
import socket
import ssl
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h2_frames import (  # noqa: E402
    DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS, PREFACE, RST_STREAM, SETTINGS, WINDOW_UPDATE, ConnectionEnded,
    frame, literal, read_frames)

STREAM_WINDOW = 16 << 10
WIDE = 64 << 20


def request(stream, host, port, path, body=b""):
    fields = [(":method", "GET"), (":scheme", "https"), (":authority", f"{host}:{port}"), (":path", path)]
    if body:
        fields.append(("content-length", str(len(body))))
    block = b"".join(literal(name, value) for name, value in fields)
    out = frame(HEADERS, END_HEADERS | (0 if body else END_STREAM), stream, block)
    return out + (frame(DATA, END_STREAM, stream, body) if body else b"")


def main():
    port, host, ca_file, cut_path, cut_file, cut_size, other_path, small_path = sys.argv[1:9]
    port, cut_size = int(port), int(cut_size)
    with_body = "--with-body" in sys.argv[9:]
    context = ssl.create_default_context(cafile=ca_file)
    context.set_alpn_protocols(["h2"])
    sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname=host)
    if sock.selected_alpn_protocol() != "h2":
        print("failed: the server did not choose h2", flush=True)
        return 1
    sock.sendall(PREFACE + frame(SETTINGS, 0, 0, struct.pack(">HI", 4, STREAM_WINDOW))
                 + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", WIDE))
                 + request(1, host, port, cut_path, b"x" if with_body else b"")
                 + request(3, host, port, other_path))
    received, ended, cut = {1: 0, 3: 0, 5: 0}, {}, False
    try:
        for frames in read_frames(sock, 64 << 10):
            for kind, flags, stream, payload in frames:
                if kind == GOAWAY:
                    print(f"failed: GOAWAY {payload.hex()}", flush=True)
                    return 1
                if stream not in received or stream in ended:
                    continue
                if kind == RST_STREAM:
                    ended[stream] = f"reset {int.from_bytes(payload, 'big')}"
                elif kind == DATA:
                    received[stream] += len(payload)
                if kind in (HEADERS, DATA) and flags & END_STREAM:
                    ended[stream] = "complete"
                if stream == 1 and stream in ended:
                    sock.sendall(request(5, host, port, small_path))
            if not cut and received[1] >= STREAM_WINDOW and received[3] >= STREAM_WINDOW:
                cut = True
                os.truncate(cut_file, cut_size)
                more = struct.pack(">I", WIDE)
                sock.sendall(frame(WINDOW_UPDATE, 0, 1, more) + frame(WINDOW_UPDATE, 0, 3, more))
            if len(ended) == 3:
                break
    except ConnectionEnded as error:
        print(f"failed: {error}; {ended}", flush=True)
        return 1
    for stream in sorted(ended):
        print(f"{stream} {ended[stream]} {received[stream]}")
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
