"""The services that this process's job functions run with.

RQ calls job functions by name, so they cannot be handed their services as an argument. The
process that runs jobs (the worker, the web process's in-process queue, the CLI) builds its
services in the composition root and `install`s them here first; `current` hands them out.
"""

from __future__ import annotations

from orchestrator.services import Services

__all__ = ["current", "install"]

_installed: Services | None = None


def install(services: Services | None) -> None:
    global _installed
    _installed = services


def current() -> Services:
    """This process's services, with the charters every job runs under brought up to date
    (an activation or rollback made elsewhere applies to the next job, without a restart)."""
    if _installed is None:
        raise RuntimeError("no services installed: the process must call jobs.runtime.install")
    _installed.live.refresh()
    return _installed
