"""The charters a process runs under right now: the database's choice, not the files'.

Which version of each charter is active is decided in the database (`parallelos charter
activate`, `rollback`, the report card's **Activate** button). Every process holds one
`LiveCharters`; `refresh` asks the source for its stamp (one cheap query on a counter row that
every switch increments) and, only when the stamp moved, reloads the active versions and
drops the router. Workers call it before every event and job, so a switch reaches every
running process on its next piece of work, without a restart.

The `Router` (with the learned model it loads: ≈ 20 MiB) is built on first use, so only a
process that routes pays for it: the workers, and the web process only when it runs jobs
in-process (no Redis). The web process that only stores events and serves the dashboard
never builds one (issue 15, web RSS; `tests/test_web_footprint.py`).
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from orchestrator.charters import CharterSet
from orchestrator.router import Router

__all__ = ["ActiveSource", "LiveCharters"]

log = logging.getLogger(__name__)


class ActiveSource(Protocol):
    def stamp(self) -> int:
        """A number that changes whenever any domain's active version changes."""
        ...

    def load(self) -> CharterSet:
        """The active version of every charter, with its revision numbers."""
        ...


class LiveCharters:
    """The active `CharterSet` and its `Router` (built on first use), swapped whole when the
    source's stamp moves."""

    def __init__(self, charters: CharterSet, *, source: ActiveSource | None = None, stamp: int = 0):
        self._charters = charters
        self._router: Router | None = None
        self._source = source
        self._stamp = stamp
        self._lock = threading.Lock()

    @property
    def charters(self) -> CharterSet:
        return self._charters

    @property
    def router(self) -> Router:
        """The router over the current charters, built the first time it is asked for."""
        router = self._router
        if router is None:
            with self._lock:
                if self._router is None:
                    self._router = Router(self._charters)
                router = self._router
        return router

    @property
    def routing(self) -> bool:
        """Whether this process has built its router (asked to route since the last switch)."""
        return self._router is not None

    @property
    def stamp(self) -> int:
        """The source's stamp these charters were loaded at (caches key on it)."""
        return self._stamp

    def refresh(self) -> bool:
        """Pick up a switch made by any process; True when the charters changed."""
        if self._source is None:
            return False
        try:
            stamp = self._source.stamp()
        except Exception as exc:  # a database hiccup: keep running the versions we have
            log.warning("charter versions not checked (%s)", type(exc).__name__)
            return False
        if stamp == self._stamp:
            return False
        with self._lock:
            if stamp == self._stamp:
                return False
            charters = self._source.load()
            self._router = None  # rebuilt over the new charters when next asked for
            self._charters = charters
            self._stamp = stamp
        log.info("charters now at %s", charters.revisions)
        return True
