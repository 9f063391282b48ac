"""Deliveries the edge acknowledged but could not use, counted per platform and reason.

A genuine delivery (its Slack signature or Telegram secret matched) that no code can use is
answered so the platform stops redelivering it, logged once with its id and kind (never its
text), and counted here; `/metrics` can expose `counts()`. One counter per process, on
`Services`.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from logging import WARNING

__all__ = ["SkipCounter"]

log = logging.getLogger(__name__)


class SkipCounter:
    """Thread-safe counts of skipped deliveries, keyed by (platform, reason)."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def skip(
        self, platform: str, reason: str, *, delivery: object, kind: str, level: int = WARNING
    ) -> None:
        """Count one skipped delivery and log it once: its id and kind, no text."""
        with self._lock:
            self._counts[(platform, reason)] += 1
        log.log(
            level,
            "%s delivery %s (%s) acknowledged and skipped: %s",
            platform,
            delivery,
            kind,
            reason,
        )

    def counts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)

    def total(self, platform: str | None = None) -> int:
        return sum(n for (p, _), n in self.counts().items() if platform in (None, p))
