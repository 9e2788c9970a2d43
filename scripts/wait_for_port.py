"""Wait until something listens on 127.0.0.1:PORT (used by `make run` for the simulator)."""
import socket
import sys
import time

port, deadline = int(sys.argv[1]), time.monotonic() + 20
while time.monotonic() < deadline:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            sys.exit(0)
    time.sleep(0.2)
sys.exit(f"nothing listens on port {port} after 20 s")
