"""What `parallelos charter …` does (CONTRACT §7.7): versions, test cases, shadow runs, switches.
The arguments are in `parallelos.cli_charter`.

Every subcommand but `test` works on the database (migrated first, as `chat` does) after the
charter files were synced into it, so `list` also records an edited file as a new version.
Errors are one line on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from sqlalchemy.orm import Session

from domains.charter import CharterError, load_charters, parse_charter, read_text
from domains.versions import cases, describe, report, service, texts
from domains.versions.sync import Synced, sync_files
from orchestrator.db import Database
from orchestrator.migrate import upgrade
from orchestrator.settings import load_settings

__all__ = ["run", "test"]

Action = Callable[[Session, Synced, argparse.Namespace], str]


def run(name: str, args: argparse.Namespace) -> int:
    action = ACTIONS[name]
    settings = load_settings()
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        synced = sync_files(db, settings, actor=_actor())
        with db.session() as s:
            out = action(s, synced, args)
    except (service.VersionError, CharterError) as exc:
        print(f"parallelos: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return 1 if out.startswith("FAIL") else 0


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _list(s: Session, synced: Synced, args: argparse.Namespace) -> str:
    return "\n".join(
        describe.list_line(service.head(s, d), d, synced.rejected.get(d)) for d in synced.domains
    )


def _history(s: Session, synced: Synced, args: argparse.Namespace) -> str:
    return "\n".join(describe.history_lines(s, args.domain))


def _diff(s: Session, synced: Synced, args: argparse.Namespace) -> str:
    return describe.diff(s, args.domain, args.a, args.b)


def _report(s: Session, synced: Synced, args: argparse.Namespace) -> str:
    return "\n".join(report.build(s, args.domain).lines())


def _activate(s: Session, synced: Synced, args: argparse.Namespace) -> str:
    why = args.why or "activated from the command line"
    switch = service.activate(s, args.domain, args.version, actor=_actor(), why=why)
    return texts.switched(switch.domain, switch.old, switch.new)


def _rollback(s: Session, synced: Synced, args: argparse.Namespace) -> str:
    switch = service.rollback(s, args.domain, actor=_actor(), why=args.why)
    return texts.switched(switch.domain, switch.old, switch.new)


def _note(s: Session, synced: Synced, args: argparse.Namespace) -> str:
    text = " ".join(args.text)
    number = service.add_note(s, args.domain, text, actor=_actor(), number=args.version)
    return texts.noted(args.domain, number)


def _shadow(s: Session, synced: Synced, args: argparse.Namespace) -> str:
    """Test the candidate beside the active charters; a failing one is refused, unrecorded."""
    head = service.known_head(s, args.domain)
    path = args.file.resolve()
    charter = parse_charter(read_text(path), path, name=args.domain)
    results = cases.run_cases(synced.charters.replaced(charter, 0), [args.domain])
    failed = cases.failures(results)
    if failed:
        lines = [r.line() for r in failed]
        return "\n".join(["FAIL " + texts.candidate_failed(str(path), len(failed)), *lines])
    row, _ = service.record_version(s, charter, read_text(path), actor=_actor())
    replaced = service.start_shadow(s, args.domain, row.number, actor=_actor())
    return texts.shadow_started(args.domain, row.number, head.active, replaced)


def test(args: argparse.Namespace) -> int:
    """The test cases of the charter files as they are now (no database needed)."""
    try:
        charters = load_charters(load_settings().domains_dir)
        names = [charters.get(args.domain).name] if args.domain else charters.names()
    except (CharterError, KeyError) as exc:
        print(f"parallelos: {str(exc).strip(chr(34))}", file=sys.stderr)
        return 1
    results = cases.run_cases(charters, names)
    for result in results:
        print(result.line())
    failed = len(cases.failures(results))
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


ACTIONS: dict[str, Action] = {
    "list": _list,
    "history": _history,
    "diff": _diff,
    "shadow": _shadow,
    "report": _report,
    "activate": _activate,
    "rollback": _rollback,
    "note": _note,
}
