"""Charter folders and candidates for the versions tests, and the `parallelos charter` CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from domains.charter import SHIPPED_DIR
from domains.versions.models import ShadowResultRow
from orchestrator.db import Database
from orchestrator.models import LogEvent
from parallelos.cli import main

RECEIPT = "Log the £84 dinner receipt as a client expense"

# A finance candidate that declines anything about receipts (the difference the shadow finds).
NO_RECEIPTS = """    - kind: no_receipts
      description: "Receipts are handled by the bookkeeper now, not by finance."
      patterns: ['\\breceipts?\\b']
"""


def charter_dir(tmp_path: Path) -> Path:
    target = tmp_path / "charters"
    shutil.copytree(SHIPPED_DIR, target)
    return target


def edited(text: str, version: str, summary: str) -> str:
    """The shipped text with a new front-matter version and its changelog entry."""
    text = text.replace('version: "1.0.0"\nchangelog:\n', f'version: "{version}"\nchangelog:\n'
                        f'  - version: "{version}"\n    date: 2026-12-01\n    summary: {summary}\n'
                        '    reason: Receipts moved to the bookkeeper.\n'
                        '    expected: Receipt messages are declined.\n'
                        '    rollback: parallelos charter rollback finance\n', 1)  # fmt: skip
    return text


def receipts_candidate(tmp_path: Path) -> Path:
    """finance 1.1.0: the shipped charter plus a boundary declining receipts."""
    text = edited((SHIPPED_DIR / "finance.md").read_text(), "1.1.0", "Receipts are declined.")
    text = text.replace("  boundaries:\n", "  boundaries:\n" + NO_RECEIPTS, 1)
    path = tmp_path / "finance-candidate.md"
    path.write_text(text)
    return path


def use(monkeypatch: pytest.MonkeyPatch, db: Database, domains: Path) -> None:
    """What the CLI reads: this database and this charters folder."""
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("PARALLELOS_DOMAINS_DIR", str(domains))


def charter(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`parallelos charter ARGS…`: exit code, stdout, stderr."""
    capsys.readouterr()
    code = main(["charter", *args])
    out, err = capsys.readouterr()
    return code, out, err


def shadow_rows(db: Database) -> list[ShadowResultRow]:
    with db.session() as s:
        return list(s.scalars(select(ShadowResultRow).order_by(ShadowResultRow.id)))


def events(db: Database, kind: str) -> list[LogEvent]:
    with db.session() as s:
        return list(s.scalars(select(LogEvent).where(LogEvent.kind == kind).order_by(LogEvent.id)))
