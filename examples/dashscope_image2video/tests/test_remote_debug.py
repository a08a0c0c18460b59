"""Remote debugging with an expired key: the daemon answers `handshake failed, invalid key` and closes; the plugin
says what that means once and exits, instead of reconnecting and re-registering in a loop.

Strategy: a one-connection stand-in for the daemon's debugging port on 127.0.0.1 reads the handshake line, answers
as the daemon does and closes; `python -m main` runs against it as a developer runs it (INSTALL_METHOD=remote).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading

from support import PLUGIN_ROOT


def test_an_expired_debugging_key_stops_the_plugin_with_what_to_do() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(60)
    connections: list[dict] = []

    def answer_like_the_daemon() -> None:
        try:
            while True:
                connection, _ = server.accept()
                with connection:
                    handshake = connection.makefile("rb").readline()
                    connections.append(json.loads(handshake))
                    connection.sendall(b"handshake failed, invalid key\n")
        except OSError:
            return  # the server was closed: the test is over

    threading.Thread(target=answer_like_the_daemon, daemon=True).start()
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("REMOTE_", "INSTALL_"))}
    environment.update(
        INSTALL_METHOD="remote",
        REMOTE_INSTALL_URL=f"127.0.0.1:{server.getsockname()[1]}",
        REMOTE_INSTALL_KEY="expired-debug-key",
    )
    try:
        result = subprocess.run(
            [sys.executable, "-m", "main"],
            cwd=PLUGIN_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.close()
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "the debugging key has expired" in result.stderr and "REMOTE_INSTALL_KEY" in result.stderr
    assert "调试 Key 已过期" in result.stderr
    # No reconnect loop: the plugin stops at the refusal line or after three refused handshakes in a row.
    assert 1 <= len(connections) <= 3, len(connections)
    assert {(message["type"], message["data"]["key"]) for message in connections} == {
        ("handshake", "expired-debug-key")
    }
