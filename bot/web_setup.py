"""The web process provisions the workspace on start, in the background (CONTRACT §2).

A daemon thread runs `orchestrator.workspace.provision` so neither start-up nor the lifespan
waits for Slack or Telegram; a run that fails (network, rate limit, a place refused) is
retried with backoff until every place is there or the process stops.
"""

from __future__ import annotations

import logging
import random
import threading

from orchestrator.provisioning import PlaceState
from orchestrator.services import Services
from orchestrator.workspace import provision

log = logging.getLogger(__name__)

RETRY_CAP = 300.0  # seconds between attempts, at most


class BackgroundSetup:
    def __init__(self, services: Services) -> None:
        self.svc = services
        self.stopping = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="provisioning", daemon=True)

    def start(self) -> None:
        if self.svc.provisioners:
            self.thread.start()

    def stop(self) -> None:
        self.stopping.set()

    def _run(self) -> None:
        attempt = 0
        while not self.stopping.is_set():
            attempt += 1
            if self._attempt():
                self.done.set()
                return
            wait = random.uniform(0.5, 1.0) * min(RETRY_CAP, 2.0**attempt)
            self.stopping.wait(wait)

    def _attempt(self) -> bool:
        """One provisioning run; True when nothing is left to retry."""
        try:
            reports = provision(self.svc)
        except Exception as exc:  # the platform or the database is not answering yet
            log.warning("provisioning failed (%s); retrying", type(exc).__name__)
            return False
        failed = [r for r in reports if r.state is PlaceState.FAILED]
        for report in failed:
            log.warning("provisioning %s %s: %s", report.platform, report.place.name, report.note)
        created = sum(r.state is PlaceState.CREATED for r in reports)
        log.info("workspace provisioned: %d places, %d created", len(reports), created)
        return not failed
