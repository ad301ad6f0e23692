#!/usr/bin/env python3
"""Prints the median milliseconds from starting BINARY with CONFIG until it logs that it is
ready, over ROUNDS start-ups; each server is stopped (SIGTERM) and waited for before the next.

    startup_time.py BINARY CONFIG ROUNDS"""
import os
import select
import signal
import statistics
import subprocess
import sys
import time

TIMEOUT = 30


def start_once(binary, config):
    started = time.perf_counter()
    deadline = started + TIMEOUT
    server = subprocess.Popen([binary, "--config", config], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Reads whatever stderr has, waiting at most until the deadline: a server that
        # writes nothing (or hangs without a newline) must not hang the benchmark.
        pending = b""
        while (left := deadline - time.perf_counter()) > 0:
            if not select.select([server.stderr], [], [], left)[0]:
                break
            chunk = os.read(server.stderr.fileno(), 65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if any(b"] ready " in line for line in lines):
                return (time.perf_counter() - started) * 1000
        sys.exit(f"{config}: no 'ready' line within {TIMEOUT} s")
    finally:
        server.send_signal(signal.SIGTERM)
        server.stderr.close()
        try:
            server.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main():
    binary, config, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(f"{statistics.median(start_once(binary, config) for _ in range(rounds)):.1f}")


if __name__ == "__main__":
    main()
