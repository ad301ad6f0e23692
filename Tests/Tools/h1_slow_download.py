#!/usr/bin/env python3
"""A plain HTTP/1.1 client that downloads one file slowly and talks while it reads.

    h1_slow_download.py PORT PATH BYTES_PER_SECOND

It asks for PATH with `Connection: close`, keeps its socket's receive buffer small (64 KiB),
so that most of the answer waits in the server's kernel, reads at BYTES_PER_SECOND on
average, and sends an empty line (which a server ignores between requests) after each 64
KiB it reads, as a client that sends while it reads does. It prints `started` once the head
has arrived, and at the end `complete BYTES` (exit 0) when the server's FIN came after the
whole body (its Content-Length), or `cut short after BYTES: REASON` (exit 1).
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pacing import keep_pace  # noqa: E402

READ_SIZE = 16 << 10
TALK_EVERY = 64 << 10


def main():
    port, path, rate = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
    sock.settimeout(20)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
    received, head, length, unspoken = b"", None, None, 0
    begun = time.monotonic()
    try:
        while True:
            chunk = sock.recv(READ_SIZE)
            if not chunk:
                break
            if head is None:
                received += chunk
                if b"\r\n\r\n" not in received:
                    continue
                head, _, rest = received.partition(b"\r\n\r\n")
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                print("started", flush=True)
                received = len(rest)
            else:
                received += len(chunk)
            unspoken += len(chunk)
            if unspoken >= TALK_EVERY:
                sock.sendall(b"\r\n")
                unspoken = 0
            keep_pace(received, rate, begun)
    except OSError as error:
        print(f"cut short after {received}: {error}", flush=True)
        return 1
    if length is None or received != length:
        print(f"cut short after {received}: end of connection", flush=True)
        return 1
    print(f"complete {received}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
