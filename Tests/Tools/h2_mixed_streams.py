#!/usr/bin/env python3
"""An HTTP/2 client over TLS that sends many requests at once on one connection, GETs and
POSTs with a body interleaved, and reports how each stream was answered.

    h2_mixed_streams.py PORT HOST CA_FILE REQUEST...

Each REQUEST is `GET:PATH` or `POST:PATH:BYTES` (a body of BYTES bytes, at most 16,384: one
DATA frame). All the HEADERS frames go out in one write, each POST's DATA frame after the
HEADERS of the requests that follow it, so that the server reads them all in one go. It prints
one line per stream, in request order, `STREAM METHOD PATH STATUS BYTES`, where STATUS comes
from the response's first header field when it is one of HPACK's static `:status` entries
(else `?`) and BYTES is the body received up to the stream's END_STREAM; then `done` (exit 0),
or `failed: REASON` (exit 1) on a RST_STREAM, a GOAWAY or the connection's end before every
stream has ended. Only the standard library (h2_frames.py).
"""
import os
import socket
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h2_frames import (  # noqa: E402
    DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS, RST_STREAM, ConnectionEnded, frame, literal, preface, read_frames)

# Room for every answer without a WINDOW_UPDATE.
WINDOW = 16 << 20
STATIC_STATUS = {0x88: "200", 0x89: "204", 0x8A: "206", 0x8B: "304", 0x8C: "400", 0x8D: "404", 0x8E: "500"}


def main():
    port, host, ca_file, requests = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
    context = ssl.create_default_context(cafile=ca_file)
    context.set_alpn_protocols(["h2"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    sock = context.wrap_socket(raw, server_hostname=host)
    if sock.selected_alpn_protocol() != "h2":
        print("failed: the server did not choose h2", flush=True)
        return 1
    streams, out, bodies = {}, [], []
    for index, request in enumerate(requests):
        method, path, *size = request.split(":")
        stream = 2 * index + 1
        streams[stream] = {"method": method, "path": path, "status": None, "bytes": 0, "ended": False}
        fields = [(":method", method), (":scheme", "https"), (":authority", f"{host}:{port}"), (":path", path)]
        body = b"b" * int(size[0]) if size else b""
        if body:
            fields.append(("content-length", str(len(body))))
        block = b"".join(literal(name, value) for name, value in fields)
        out.append(frame(HEADERS, END_HEADERS | (0 if body else END_STREAM), stream, block))
        if body:
            bodies.append(frame(DATA, END_STREAM, stream, body))
    sock.sendall(preface(WINDOW) + b"".join(out) + b"".join(bodies))
    try:
        for frames in read_frames(sock, 64 << 10):
            for kind, flags, stream, payload in frames:
                if kind in (RST_STREAM, GOAWAY):
                    print(f"failed: frame {kind} on stream {stream}: {payload.hex()}", flush=True)
                    return 1
                if kind == HEADERS and stream in streams and streams[stream]["status"] is None:
                    streams[stream]["status"] = STATIC_STATUS.get(payload[0], "?") if payload else "?"
                if kind == DATA and stream in streams:
                    streams[stream]["bytes"] += len(payload)
                if kind in (HEADERS, DATA) and stream in streams:
                    streams[stream]["ended"] |= bool(flags & END_STREAM)
            if all(stream["ended"] for stream in streams.values()):
                break
    except ConnectionEnded as error:
        print(f"failed: {error}", flush=True)
        return 1
    for number, stream in streams.items():
        print(f"{number} {stream['method']} {stream['path']} {stream['status']} {stream['bytes']}")
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
