"""The HTTP server stops when asked, even when its loop's wake-up pipe is gone."""

from __future__ import annotations

import os
import threading
import urllib.request

from bot.web.server import serve


def hello(environ: dict[str, object], start_response: object) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
    return [b"hello"]


def test_shutdown_stops_the_server_even_when_its_wake_up_pipe_was_closed_elsewhere() -> None:
    server = serve(hello, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/", timeout=30) as answer:
        assert answer.read() == b"hello"
    os.close(server.waitress.trigger.trigger)  # type: ignore[union-attr]

    server.shutdown()

    thread.join(15)
    assert not thread.is_alive()
