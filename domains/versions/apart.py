"""A charter's test cases run in a short-lived child process, for the web process.

The cases route, so they build a `Router` and load its learned model (4.4 MB of JSON, ≈ 50
MiB that a process keeps once it has read it). The web process syncs the charter files at
every start and must run the cases of a new or changed file before that version is activated,
but it routes nothing itself when the workers do (issue 15, web RSS). Here the cases run in a
fresh interpreter (`python -m domains.versions.apart`: the charters in on stdin, the results
out on stdout, both pickled between two processes of this program) that exits once it has
answered; the web process gets back the same `CaseResult`s `cases.run_cases` would have given,
and records them exactly as before. A plain subprocess rather than multiprocessing's `spawn`:
that re-runs the parent's main script, which need not be guarded. The CLI and the workers
run the cases in-process (`cases.run_cases`).
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys

from domains.versions.cases import CaseResult, pending, run_cases
from orchestrator.charters import CharterSet

__all__ = ["run_cases_apart"]

log = logging.getLogger(__name__)
TIMEOUT_S = 300.0  # the shipped cases take ≈ 2 s, most of it loading the model


def run_cases_apart(charters: CharterSet, names: list[str]) -> list[CaseResult]:
    """`cases.run_cases(charters, names)`, answered by a child process; no case, no child. A
    child that cannot start, fails or hangs is reported, and the cases then run here: a new
    version is never activated without them."""
    if not pending(charters, names):
        return []
    env = os.environ | {"PYTHONPATH": os.pathsep.join(p or os.getcwd() for p in sys.path)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__], input=pickle.dumps((charters, names)), env=env,
            capture_output=True, timeout=TIMEOUT_S, check=True,
        )  # fmt: skip
        results: list[CaseResult] = pickle.loads(done.stdout)
        return results
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError) as exc:
        tail = getattr(exc, "stderr", b"") or b""
        log.warning(
            "charter test cases: the child process failed (%s %s); running them here",
            type(exc).__name__,
            tail[-500:].decode(errors="replace"),
        )
        return run_cases(charters, names)


def main() -> None:
    """The child: charters and names in on stdin, the cases' results out on stdout."""
    charters, names = pickle.load(sys.stdin.buffer)
    sys.stdout.buffer.write(pickle.dumps(run_cases(charters, names)))


if __name__ == "__main__":
    main()
