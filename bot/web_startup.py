"""What the web process says when it starts, and what it does not say while the page polls.

`announce` prints where to go (honcho shows it as `web.1 | ParallelOS is up: open …`).
`QuietPolling` keeps uvicorn's access log for what matters: the local page asks for new
messages and the dashboard about once a second, and those successful GETs are logged only at
debug level (`uvicorn … --log-level debug`); changes, errors and everything else still show.
It also hides the token of a sign-in link (`/login/…`): a log reader could otherwise use a
link that was opened but not yet used.
"""

from __future__ import annotations

import logging
import sys

from orchestrator.settings import Settings

__all__ = ["POLLED", "QuietPolling", "announce", "quiet_polling"]

POLLED = frozenset({"/api/chat/messages", "/api/dashboard", "/api/csrf", "/healthz", "/readyz",
                    "/dashboard/stream"})  # fmt: skip
ACCESS_LOGGER = "uvicorn.access"
LOGIN_PATH = "/login/"
DASHBOARD, LIVE_PART = "/dashboard", "part=live"  # bot/web_dashboard.py's live fragments


def announce(settings: Settings) -> None:
    lines = [f"ParallelOS is up: open http://localhost:{settings.port}/"]
    if settings.public_url and settings.operators:
        lines.append(
            f"From elsewhere ({settings.public_url}/), an operator signs in with the link "
            "that `login` sends to their direct message."
        )
    print("\n".join(lines), file=sys.stdout, flush=True)


class QuietPolling(logging.Filter):
    """Drops uvicorn access lines of successful GETs of the polled paths, unless at debug."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or len(args) != 5:
            return True  # not uvicorn's access line: (client, method, path, version, status)
        client, method, path, version, status = args
        if str(path).startswith(LOGIN_PATH):
            record.args = (client, method, LOGIN_PATH + "…", version, status)
        bare, _, query = str(path).partition("?")
        live = bare.startswith(DASHBOARD) and LIVE_PART in query.split("&")  # the pages' polls
        polled = method in ("GET", "HEAD") and (bare in POLLED or live)
        if polled and isinstance(status, int) and status < 400:
            return logging.getLogger(ACCESS_LOGGER).isEnabledFor(logging.DEBUG)
        return True


def quiet_polling() -> None:
    """Install the filter on uvicorn's access logger, once per process."""
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, QuietPolling) for f in access.filters):
        access.addFilter(QuietPolling())
