"""Start the ConnectWise simulator in its own process, as ConnectWise runs on its own machine."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_simulator(port: int, scale: int = 200) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "cbcw.connectwise.simulator", "--port", str(port), "--scale", str(scale)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/_sim/faults", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the simulator did not start")
