#!/usr/bin/env python3
"""Prints the median milliseconds from starting BINARY with CONFIG until it logs that it is
ready, over ROUNDS start-ups; each server is stopped (SIGTERM) and waited for before the next.

    startup_time.py BINARY CONFIG ROUNDS"""
import signal
import statistics
import subprocess
import sys
import time

TIMEOUT = 30


def start_once(binary, config):
    started = time.perf_counter()
    server = subprocess.Popen([binary, "--config", config], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in server.stderr:
            if "] ready " in line:
                return (time.perf_counter() - started) * 1000
            if time.perf_counter() - started > TIMEOUT:
                break
        sys.exit(f"{config}: no 'ready' line within {TIMEOUT} s")
    finally:
        server.send_signal(signal.SIGTERM)
        server.stderr.close()
        server.wait(timeout=TIMEOUT)


def main():
    binary, config, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(f"{statistics.median(start_once(binary, config) for _ in range(rounds)):.1f}")


if __name__ == "__main__":
    main()
