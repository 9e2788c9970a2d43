"""`wait_for_port.py PORT [SECONDS]`: wait until something listens on 127.0.0.1:PORT (default
20 s); `make run` waits so for the simulator before seeding, and for the app before printing its URL."""
import socket
import sys
import time

port, seconds = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            sys.exit(0)
    time.sleep(0.2)
sys.exit(f"nothing listens on port {port} after {seconds} s")
