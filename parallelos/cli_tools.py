"""`parallelos tools [domain]` and doctor's tool-server lines (issue 13).

Each declared server is started (or reached) to ask for its tools, then stopped again. Exit
status of `tools`: 0 when every server answers with every tool its charter lists, 1 when one
does not, 2 for an unknown domain.
"""

from __future__ import annotations

import argparse
import sys

from domains.tools import report
from domains.tools.client import ServerPool
from orchestrator.charters import CharterSet
from orchestrator.db import Database
from orchestrator.settings import Settings, load_settings
from parallelos.wiring import live_charters

__all__ = ["doctor_lines", "tools_command"]


def _charters(settings: Settings) -> CharterSet:
    db = Database(settings.database_url)
    try:
        return live_charters(settings, db).charters
    finally:
        db.dispose()


def tools_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    charters = _charters(settings)
    if args.domain is not None and args.domain not in charters:
        print(f"parallelos tools: unknown domain '{args.domain}' (domains: "
              f"{', '.join(charters.names())})", file=sys.stderr)  # fmt: skip
        return 2
    pool = ServerPool()
    try:
        lines, ok = report.tools_lines(pool, charters, args.domain)
    finally:
        pool.close()
    print("\n".join(lines))
    return 0 if ok else 1


def doctor_lines(settings: Settings) -> list[str]:
    try:
        charters = _charters(settings)
    except Exception as exc:  # a charter that does not load is doctor's to report, not crash
        return [f"Tool servers: cannot check ({type(exc).__name__})"]
    pool = ServerPool()
    try:
        return report.doctor_lines(pool, charters)
    finally:
        pool.close()
