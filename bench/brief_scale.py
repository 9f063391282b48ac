"""Compose the weekly brief at scale: 50 domains, 10,000 inbox entries, 100,000 events.

    .venv/bin/python bench/brief_scale.py [--runs 30] [--database sqlite|postgresql|both]

Seeds a scratch SQLite file and a scratch PostgreSQL database (beside BENCH_DATABASE_URL,
default TEST_DATABASE_URL's server; created, migrated, dropped), then times `build_brief`
(every query plus composing the posts) for the weekly brief. Target: <= 200 ms. Prints the
median, p95 and max wall time, CPU time, and how many posts the brief became.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from domains.approvals.models import ApprovalRow  # noqa: E402
from domains.briefs.build import build_brief, find_brief  # noqa: E402
from domains.charter import SHIPPED_DIR, load_charters  # noqa: E402
from domains.inbox.models import InboxEntryRow  # noqa: E402
from domains.models import StatusDocRow  # noqa: E402
from domains.status_doc import StatusDoc  # noqa: E402
from orchestrator.db import Database  # noqa: E402
from orchestrator.migrate import upgrade  # noqa: E402
from orchestrator.models import LogEvent  # noqa: E402
from orchestrator.settings import load_settings  # noqa: E402

DOMAINS, INBOX, EVENTS, APPROVALS = 50, 10_000, 100_000, 200
NOW = datetime(2026, 6, 8, 8, 0)
TARGET_MS = 200
PG_URL = os.environ.get(
    "BENCH_DATABASE_URL",
    os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)


def charters_dir(root: Path) -> Path:
    """50 domains: the travel charter under 50 names (the router is not involved here)."""
    folder = root / "charters"
    folder.mkdir()
    template = (SHIPPED_DIR / "travel.md").read_text(encoding="utf-8")
    for i in range(DOMAINS):
        name = f"domain{i:02d}"
        body = template.replace("name: travel", f"name: {name}", 1)
        body = body.replace("title: Travel", f"title: Domain {i:02d}", 1)
        (folder / f"{name}.md").write_text(body, encoding="utf-8")
    return folder


def seed(db: Database) -> None:
    """Status docs, inbox entries, pending approvals and events, in bulk inserts."""
    names = [f"domain{i:02d}" for i in range(DOMAINS)]
    with db.engine.begin() as conn:
        conn.execute(insert(StatusDocRow), [_doc(i, n) for i, n in enumerate(names)])
        conn.execute(insert(InboxEntryRow), [_entry(i, names) for i in range(INBOX)])
        conn.execute(insert(ApprovalRow), [_approval(i, names) for i in range(APPROVALS)])
        for start in range(0, EVENTS, 10_000):
            conn.execute(insert(LogEvent), [_event(i, names) for i in range(start, start + 10_000)])
        if not db.is_sqlite:
            conn.execute(text("ANALYZE"))


def _doc(i: int, name: str) -> dict[str, object]:
    doc = StatusDoc(
        domain=name,
        phase="Build",
        headline_color=("green", "yellow", "red")[i % 3],
        headline_text=f"{name} moving; next milestone in {i % 9 + 1} days",
        next_steps=[f"step {k} for {name}" for k in range(3)],
        blockers=[f"waiting on vendor {i}"] if i % 4 == 0 else [],
        kpis={"progress": f"{i * 2}%"},
        updated_at=NOW - timedelta(days=i % 14),
        updated_by="slack:U1",
    )
    return {"domain": name, "doc": doc.model_dump(mode="json"), "version": 1, "updated_at": NOW}


def _entry(i: int, names: list[str]) -> dict[str, object]:
    at = NOW - timedelta(minutes=7 * i)
    return {
        "created_at": at, "updated_at": at, "title": f"ask {i}", "from_domain": names[i % 50],
        "to_domain": names[(i * 7 + 1) % 50], "priority": ("high", "normal", "low")[i % 3],
        "ask": f"please handle ask {i}", "context": "", "privacy_note": "nothing withheld",
        "status": ("open", "accepted", "done", "declined")[i % 4], "created_by": "slack:U1",
        "platform": "slack", "origin": {}, "card_posts": [],
    }  # fmt: skip


def _approval(i: int, names: list[str]) -> dict[str, object]:
    return {
        "public_id": f"a{i:09d}", "domain": names[i % 50], "action": f"pay invoice {i}",
        "proposed_by": "slack:U1", "created_at": NOW - timedelta(hours=i),
        "expires_at": NOW + timedelta(days=7), "status": "pending", "webhook_status": "none",
        "webhook_attempts": 0, "platform": "slack", "origin": {}, "card_posts": [],
    }  # fmt: skip


def _event(i: int, names: list[str]) -> dict[str, object]:
    kind, subject = [("status.changed", "decision"), ("status.changed", "next_steps"),
                     ("route.decided", None), ("domain.note", None)][i % 4]  # fmt: skip
    return {
        "at": NOW - timedelta(seconds=77 * i), "kind": kind, "actor": "slack:U1",
        "domain": names[i % 50], "subject": subject,
        "data": {"old": "a", "new": f"decision {i}", "summary": f"change {i}"},
    }  # fmt: skip


@contextmanager
def databases(which: str, root: Path):  # type: ignore[no-untyped-def]
    """(label, Database) for each scratch database; each is removed afterwards."""
    made: list[tuple[str, Database]] = []
    admin = None
    try:
        if which in ("sqlite", "both"):
            made.append(("SQLite", _migrated(f"sqlite:///{root / 'bench.db'}")))
        if which in ("postgresql", "both"):
            admin = Database(PG_URL)
            name = f"pos_brief_bench_{uuid.uuid4().hex[:8]}"
            _admin_sql(admin, f'CREATE DATABASE "{name}"')
            url = admin.engine.url.set(database=name).render_as_string(hide_password=False)
            made.append(("PostgreSQL", _migrated(url)))
        yield made
    finally:
        for _, db in made:
            db.dispose()
        if admin is not None:
            _admin_sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def _migrated(url: str) -> Database:
    upgrade(url)
    return Database(url)


def _admin_sql(admin: Database, sql: str) -> None:
    with admin.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(sql))


def measure(db: Database, folder: Path, runs: int) -> dict[str, float]:
    settings = load_settings(_env_file=None, DATABASE_URL=db.url, PARALLELOS_DOMAINS_DIR=folder)
    charters = load_charters(folder)
    spec = find_brief(charters, "weekly")
    assert spec is not None
    walls, cpus, posts = [], [], 0
    for i in range(runs + 3):  # three warm-up runs
        wall, cpu = time.perf_counter(), time.process_time()
        with db.session() as s:
            posts = len(build_brief(s, charters, spec, settings=settings, now=NOW).posts)
        if i >= 3:
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
    walls.sort()
    return {
        "median": statistics.median(walls),
        "p95": walls[max(0, int(len(walls) * 0.95) - 1)],
        "max": walls[-1],
        "cpu": statistics.median(cpus),
        "posts": posts,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="pos-brief-bench-"))
    try:
        folder = charters_dir(root)
        print(f"weekly brief: {DOMAINS} domains, {INBOX:,} inbox entries, {EVENTS:,} events, "
              f"{APPROVALS} pending approvals; {args.runs} runs after 3 warm-ups")  # fmt: skip
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"{platform.system()} {platform.release()}")  # fmt: skip
        print("| database | median ms | p95 ms | max ms | CPU ms (median) | posts | ≤ 200 ms |")
        print("|---|---|---|---|---|---|---|")
        with databases(args.database, root) as made:
            for label, db in made:
                seed(db)
                r = measure(db, folder, args.runs)
                ok = "yes" if r["p95"] <= TARGET_MS else "NO"
                print(f"| {label} | {r['median']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | "
                      f"{r['cpu']:.1f} | {r['posts']:.0f} | {ok} |", flush=True)  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
