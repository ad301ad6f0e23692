"""Reading at a set pace, for the slow test clients in this directory (h1_slow_download.py,
h2_slow_download.py)."""
import time


def keep_pace(received, rate, begun):
    """Sleeps until `received` bytes are due at `rate` bytes a second since `begun` (a
    time.monotonic() reading): the client, not the server, sets the pace."""
    ahead = received / rate - (time.monotonic() - begun)
    if ahead > 0:
        time.sleep(ahead)
