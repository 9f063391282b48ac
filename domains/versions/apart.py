"""A charter's test cases run in a short-lived child process, for the web process.

The cases route, so they build a `Router` and load its learned model (4.4 MB of JSON, ≈ 20–40
MiB that a process keeps once it has read it). The web process syncs the charter files at
every start and must run the cases of a new or changed file before that version is activated,
but it routes nothing itself when the workers do (issue 15, web RSS). Here the cases run in a
fresh interpreter (multiprocessing's `spawn` context) that exits once it has answered; the web
process gets back the same `CaseResult`s `cases.run_cases` would have given, and records them
exactly as before. The CLI and the workers run them in-process (`cases.run_cases`).
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from domains.versions.cases import CaseResult, pending, run_cases
from orchestrator.charters import CharterSet

__all__ = ["run_cases_apart"]

log = logging.getLogger(__name__)


def run_cases_apart(charters: CharterSet, names: list[str]) -> list[CaseResult]:
    """`cases.run_cases(charters, names)`, answered by a child process; no case, no child. A
    child that cannot start or dies (no process left, killed) is reported, and the cases then
    run here: a new version is never activated without them."""
    if not pending(charters, names):
        return []
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            return pool.submit(run_cases, charters, names).result()
    except (BrokenProcessPool, OSError) as exc:
        log.warning("charter test cases: no child process (%s); running them here", exc)
        return run_cases(charters, names)
