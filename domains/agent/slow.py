"""No silence while a model call hangs (issue 11, point 8): a timer per call.

`SlowWatch.arm()` starts a timer before each model call; the call's `started()` (the API began
to answer: the stream's headers came) disarms it. If `SLOW_AFTER` seconds pass first, the
placeholders where the user asked are edited once per attempt to say Claude is slow and the
turn is still waiting — while the call goes on. A failure after that is told as usual (busy,
will retry); the final answer edits the placeholders once more.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["SLOW_AFTER", "SlowWatch"]

log = logging.getLogger(__name__)

SLOW_AFTER = 8.0  # seconds without an answer starting before the user is told (within 10 s)


class SlowWatch:
    """Tells the user once (per attempt) when a call has not started answering in time."""

    def __init__(self, tell: Callable[[], None], *, after: float | None = None) -> None:
        self.tell, self.after = tell, SLOW_AFTER if after is None else after
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        self.told = False

    def arm(self) -> None:
        with self.lock:
            if self.told:
                return
            self._cancel()
            self.timer = threading.Timer(self.after, self._fire)
            self.timer.daemon = True
            self.timer.start()

    def started(self) -> None:
        with self.lock:
            self._cancel()

    def stop(self) -> None:
        self.started()

    def _cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _fire(self) -> None:
        with self.lock:
            if self.told or self.timer is None:
                return
            self.told, self.timer = True, None
        try:
            self.tell()
        except Exception as exc:  # the notice is best effort; the call goes on
            log.warning("slow-model notice not posted (%s)", type(exc).__name__)
