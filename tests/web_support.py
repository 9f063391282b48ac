"""The real web app under a real uvicorn on loopback, for tests that need real HTTP: a
browser (tests/test_browser.py), or headers as uvicorn handles them (tests/test_web_this_machine.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tests.slack_support import wait_until

__all__ = ["serving"]


@contextmanager
def serving(app: Any, *, port: int = 0) -> Iterator[str]:
    """`app` served by uvicorn on 127.0.0.1 (`port`, or a free one), proxy headers handled as
    under the Procfile's `uvicorn bot.app:app`; yields the base URL, stops it on exit.
    Serving again on the same port is a restart the browser sees as the same site."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), timeout=30, what="uvicorn")
        assert server.started, "uvicorn did not start (see its log above)"
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
