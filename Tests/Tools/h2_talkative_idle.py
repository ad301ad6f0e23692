#!/usr/bin/env python3
"""An HTTP/2 client over TLS that makes one request and then keeps its connection open, idle
but never quiet: it neither closes nor stops sending once the server says GOAWAY.

    h2_talkative_idle.py PORT HOST PATH CA_FILE

After the answer it sends a connection WINDOW_UPDATE whenever it has waited 0.2 s for the
server, and answers the server's PING and SETTINGS frames (h2_frames.py), as a client that
keeps connections for later requests may. It goes on sending every 0.2 s once the server's
input has ended (TLS close_notify, FIN), until a send fails: the server has closed its
socket. It prints `answered` once the answer has ended, `goaway LAST_STREAM_ID` for each
GOAWAY, `ended` when the server's input ends, and `closed: REASON` (exit 0) when a send
fails; it gives up (exit 1) after 2 minutes.
"""
import os
import select
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h2_frames import (  # noqa: E402
    DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS, WINDOW_UPDATE, ConnectionEnded, frame, literal, preface,
    read_frames)


class Talkative:
    """The TLS socket, sending a WINDOW_UPDATE whenever a read has waited 0.2 s."""

    def __init__(self, sock):
        self.sock = sock

    def sendall(self, data):
        self.sock.sendall(data)

    def recv(self, size):
        while self.sock.pending() == 0 and not select.select([self.sock], [], [], 0.2)[0]:
            self.sock.sendall(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1)))
        return self.sock.recv(size)


def main():
    port, host, path, ca_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    context = ssl.create_default_context(cafile=ca_file)
    context.set_alpn_protocols(["h2"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=120)
    sock = context.wrap_socket(raw, server_hostname=host)
    block = b"".join(literal(n, v) for n, v in [
        (":method", "GET"), (":scheme", "https"), (":authority", f"{host}:{port}"), (":path", path)])
    sock.sendall(preface(1 << 20) + frame(HEADERS, END_STREAM | END_HEADERS, 1, block))
    try:
        for frames in read_frames(Talkative(sock), 1 << 16):
            for kind, flags, stream, payload in frames:
                if stream == 1 and kind in (HEADERS, DATA) and flags & END_STREAM:
                    print("answered", flush=True)
                elif kind == GOAWAY:
                    print(f"goaway {int.from_bytes(payload[:4], 'big') & 0x7FFFFFFF}", flush=True)
    except ConnectionEnded as error:
        print(f"ended: {error}", flush=True)
    for _ in range(600):
        time.sleep(0.2)
        try:
            sock.sendall(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1)))
        except OSError as error:
            print(f"closed: {error}", flush=True)
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
