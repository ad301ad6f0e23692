#!/usr/bin/env python3
"""An HTTP/2 client over TLS that downloads one file slowly, as a browser on a slow link does.

    h2_slow_download.py PORT HOST PATH CA_FILE BYTES_PER_SECOND [RECEIVE_BUFFER]

It keeps its socket's receive buffer small (RECEIVE_BUFFER bytes, 64 KiB unless given), so that
most of the answer waits in the server's kernel, and while it reads it keeps sending what real
clients send: a WINDOW_UPDATE frame for each 16 KiB it consumes, and answers to the server's
PING and SETTINGS. With a larger buffer, the end of the answer can sit in the client's kernel,
acknowledged, while the client still reads it and still sends. It prints `started` once the
first DATA frame has arrived, and at the end `complete BYTES SHA256` (exit 0) or `cut short
after BYTES: REASON` (exit 1) when the connection ends before the stream's END_STREAM.
Only the standard library (h2_frames.py): the request's header block uses HPACK literals, and the
response's header block is not decoded (its status is not what this client checks).
"""
import hashlib
import os
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h2_frames import (  # noqa: E402
    DATA, END_HEADERS, END_STREAM, HEADERS, RST_STREAM, WINDOW_UPDATE, ConnectionEnded, frame, literal, preface,
    read_frames)
from pacing import keep_pace  # noqa: E402

WINDOW = 16 << 20
UPDATE_EVERY = 16 << 10
READ_SIZE = 16 << 10


def main():
    port, host, path, ca_file, rate = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    receive_buffer = int(sys.argv[6]) if len(sys.argv) > 6 else 64 << 10
    context = ssl.create_default_context(cafile=ca_file)
    context.set_alpn_protocols(["h2"])
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    raw.settimeout(20)
    raw.connect(("127.0.0.1", port))
    sock = context.wrap_socket(raw, server_hostname=host)
    if sock.selected_alpn_protocol() != "h2":
        print("the server did not choose h2", flush=True)
        return 1
    block = b"".join(literal(n, v) for n, v in [
        (":method", "GET"), (":scheme", "https"), (":authority", f"{host}:{port}"), (":path", path)])
    sock.sendall(preface(WINDOW) + frame(HEADERS, END_STREAM | END_HEADERS, 1, block))
    digest, received, unacknowledged = hashlib.sha256(), 0, 0
    begun = time.monotonic()
    try:
        for frames in read_frames(sock, READ_SIZE):
            for kind, flags, stream, payload in frames:
                if kind == RST_STREAM and stream == 1:
                    print(f"cut short after {received}: RST_STREAM {int.from_bytes(payload, 'big')}", flush=True)
                    return 1
                elif kind == DATA and stream == 1:
                    if received == 0:
                        print("started", flush=True)
                    length = len(payload)
                    padding = payload[0] + 1 if flags & 0x8 else 0
                    body = payload[1:length - payload[0]] if padding else payload
                    digest.update(body)
                    received += len(body)
                    unacknowledged += length
                    if flags & END_STREAM:
                        print(f"complete {received} {digest.hexdigest()}", flush=True)
                        return 0
                    if unacknowledged >= UPDATE_EVERY:
                        increment = struct.pack(">I", unacknowledged)
                        sock.sendall(frame(WINDOW_UPDATE, 0, 0, increment) + frame(WINDOW_UPDATE, 0, 1, increment))
                        unacknowledged = 0
                elif kind == HEADERS and stream == 1 and flags & END_STREAM:
                    print(f"cut short after {received}: trailers or a head without a body", flush=True)
                    return 1
            keep_pace(received, rate, begun)
    except ConnectionEnded as error:
        print(f"cut short after {received}: {error}", flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
