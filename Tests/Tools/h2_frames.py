"""HTTP/2 framing for the test clients in this directory (h2_slow_download.py,
h2_mixed_streams.py), with the standard library only: frames out, frames in, and header
fields as HPACK literals (no table state to keep)."""
import struct

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class ConnectionEnded(Exception):
    """The connection failed, or the server closed it."""


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(name, value):
    """A header field as an HPACK literal without indexing, names and values not Huffman-coded."""
    name, value = name.encode(), value.encode()
    assert len(name) < 127 and len(value) < 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def preface(window):
    """The client's preface, with its streams' and its connection's windows set to `window`."""
    return (PREFACE + frame(SETTINGS, 0, 0, struct.pack(">HI", 4, window))
            + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", window)))


def read_frames(sock, read_size):
    """Yields, per read of at most `read_size` bytes, the whole frames it completed as
    (kind, flags, stream, payload); the server's SETTINGS and PING are answered here, as
    clients do, and not yielded. Raises ConnectionEnded when the connection fails or ends."""
    pending = b""
    while True:
        try:
            chunk = sock.recv(read_size)
        except OSError as error:
            raise ConnectionEnded(str(error)) from error
        if not chunk:
            raise ConnectionEnded("end of connection")
        pending += chunk
        frames = []
        while len(pending) >= 9 and len(pending) >= 9 + int.from_bytes(pending[:3], "big"):
            length = int.from_bytes(pending[:3], "big")
            kind, flags = pending[3], pending[4]
            stream = int.from_bytes(pending[5:9], "big") & 0x7FFFFFFF
            payload, pending = pending[9:9 + length], pending[9 + length:]
            if kind == SETTINGS and not flags & ACK:
                sock.sendall(frame(SETTINGS, ACK, 0))
            elif kind == PING and not flags & ACK:
                sock.sendall(frame(PING, ACK, 0, payload))
            else:
                frames.append((kind, flags, stream, payload))
        yield frames
