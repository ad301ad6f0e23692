#!/usr/bin/env python3
"""Opens COUNT keep-alive connections to 127.0.0.1:PORT, sends one request on each and reads
its answer, prints the number of connections open, then holds them idle until stdin closes.

    idle_clients.py PORT COUNT PATH [HEAD_BYTES]

HEAD_BYTES pads each request's head to that many bytes with a Cookie field, as a browser's
head with cookies is (several hundred bytes) where a bare one is 40.

Connections are made in batches, so that the server's listen backlog never overflows; a
connection that fails or an answer that is not 200 ends the run with an error (a number
printed would then be a lie about what the server holds)."""
import socket
import sys

BATCH = 250
TIMEOUT = 30


def read_answer(sock, port):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            sys.exit(f"port {port}: connection closed before the answer")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if not lines[0].startswith(b"HTTP/1.1 200"):
        sys.exit(f"port {port}: {lines[0].decode(errors='replace')}")
    length = next(int(line.split(b":", 1)[1]) for line in lines[1:] if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            sys.exit(f"port {port}: connection closed in the body")
        body += chunk


def main():
    port, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    head_bytes = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
    padding = head_bytes - len(request) - len("Cookie: \r\n")
    if padding > 0:
        request = request[:-2] + b"Cookie: " + b"c" * padding + b"\r\n\r\n"
    held = []
    while len(held) < count:
        batch = [socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
                 for _ in range(min(BATCH, count - len(held)))]
        for sock in batch:
            sock.sendall(request)
        for sock in batch:
            read_answer(sock, port)
        held += batch
    print(len(held), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
