#!/usr/bin/env python3
"""An HTTP/2 client over TLS that downloads one file slowly, as a browser on a slow link does.

    h2_slow_download.py PORT HOST PATH CA_FILE BYTES_PER_SECOND

It keeps its socket's receive buffer small, so that most of the answer waits in the server's
kernel, and while it reads it keeps sending what real clients send: WINDOW_UPDATE frames as it
consumes data, and answers to the server's PING and SETTINGS. It prints `started` once the
first DATA frame has arrived, and at the end `complete BYTES SHA256` (exit 0) or `cut short
after BYTES: REASON` (exit 1) when the connection ends before the stream's END_STREAM.
Only the standard library: the request's header block uses HPACK literals, and the
response's header block is not decoded (its status is not what this client checks).
"""
import hashlib
import socket
import ssl
import struct
import sys
import time

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
WINDOW = 16 << 20
UPDATE_EVERY = 256 << 10
READ_SIZE = 16 << 10


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(name, value):
    """A header field as an HPACK literal without indexing, names and values not Huffman-coded."""
    name, value = name.encode(), value.encode()
    assert len(name) < 127 and len(value) < 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def main():
    port, host, path, ca_file, rate = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    context = ssl.create_default_context(cafile=ca_file)
    context.set_alpn_protocols(["h2"])
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
    raw.settimeout(20)
    raw.connect(("127.0.0.1", port))
    sock = context.wrap_socket(raw, server_hostname=host)
    if sock.selected_alpn_protocol() != "h2":
        print("the server did not choose h2", flush=True)
        return 1
    block = b"".join(literal(n, v) for n, v in [
        (":method", "GET"), (":scheme", "https"), (":authority", f"{host}:{port}"), (":path", path)])
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                 + frame(SETTINGS, 0, 0, struct.pack(">HI", 4, WINDOW))
                 + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", WINDOW))
                 + frame(HEADERS, END_STREAM | END_HEADERS, 1, block))
    digest, received, unacknowledged, pending = hashlib.sha256(), 0, 0, b""
    begun = time.monotonic()
    while True:
        try:
            chunk = sock.recv(READ_SIZE)
        except (OSError, ssl.SSLError) as error:
            print(f"cut short after {received}: {error}", flush=True)
            return 1
        if not chunk:
            print(f"cut short after {received}: end of connection", flush=True)
            return 1
        pending += chunk
        while len(pending) >= 9 and len(pending) >= 9 + int.from_bytes(pending[:3], "big"):
            length = int.from_bytes(pending[:3], "big")
            kind, flags = pending[3], pending[4]
            stream = int.from_bytes(pending[5:9], "big") & 0x7FFFFFFF
            payload, pending = pending[9:9 + length], pending[9 + length:]
            if kind == SETTINGS and not flags & ACK:
                sock.sendall(frame(SETTINGS, ACK, 0))
            elif kind == PING and not flags & ACK:
                sock.sendall(frame(PING, ACK, 0, payload))
            elif kind == RST_STREAM and stream == 1:
                print(f"cut short after {received}: RST_STREAM {int.from_bytes(payload, 'big')}", flush=True)
                return 1
            elif kind == DATA and stream == 1:
                if received == 0:
                    print("started", flush=True)
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
        # Reads at `rate` on average: the client, not the server, sets the pace.
        ahead = received / rate - (time.monotonic() - begun)
        if ahead > 0:
            time.sleep(ahead)


if __name__ == "__main__":
    sys.exit(main())
