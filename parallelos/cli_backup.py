"""`parallelos backup FILE` and `parallelos restore FILE` (CONTRACT §2; docs/reliability.md).

Like the rest of the command, the database layer is imported when a command runs, so
`parallelos route` stays quick to start.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.settings import load_settings, redacted

if TYPE_CHECKING:
    from orchestrator.db import Database

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    b = sub.add_parser("backup", help="write a consistent copy of the database, while running")
    b.add_argument("file", type=Path, help="the new backup file")
    b.set_defaults(func=_backup)
    r = sub.add_parser("restore", help="restore a backup into an empty database")
    r.add_argument("file", type=Path, help="a file `parallelos backup` wrote")
    r.set_defaults(func=_restore)


def _backup(args: argparse.Namespace) -> int:
    from orchestrator.backup import backup

    def work(db: Database) -> str:
        backup(db, args.file)
        return f"backed up to {args.file} ({args.file.stat().st_size} bytes)"

    return _with_db(work)


def _restore(args: argparse.Namespace) -> int:
    from orchestrator.backup import restore

    def work(db: Database) -> str:
        restore(db, args.file)
        return f"restored {_rows(db)} from {args.file}"

    return _with_db(work)


def _rows(db: Database) -> str:
    from orchestrator.backup import row_counts

    counts = row_counts(db)
    return f"{sum(counts.values())} rows in {len(counts)} tables"


def _with_db(work: Callable[[Database], str]) -> int:
    from orchestrator.backup import BackupError
    from orchestrator.db import Database

    url = load_settings().database_url
    db = Database(url)
    try:
        said = work(db)
    except BackupError as exc:
        print(f"parallelos: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the database is not reachable: say which, without the password
        print(f"parallelos: database at {redacted(url)}: {type(exc).__name__}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(said)
    return 0
