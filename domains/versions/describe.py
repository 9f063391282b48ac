"""Versions in words: the `charter` chat answer, `history` lines, `list` lines and `diff`."""

from __future__ import annotations

import difflib

from sqlalchemy.orm import Session

from domains.versions import report, service
from domains.versions.models import CharterHeadRow, CharterVersionRow


def version_line(row: CharterVersionRow) -> str:
    return f"version {row.number} ({row.file_version}, {row.created_at:%Y-%m-%d}): {row.summary}"


def active_text(s: Session, domain: str) -> str:
    head = service.known_head(s, domain)
    row = service.version(s, domain, head.active)
    lines = [f"*{domain}* runs {version_line(row)}"]
    for label, value in (("Why", row.reason), ("Expected", row.expected),
                         ("Rollback", row.rollback)):  # fmt: skip
        if value:
            lines.append(f"{label}: {value}")
    return "\n".join(lines)


def shadow_text(s: Session, domain: str, head: CharterHeadRow) -> str | None:
    if head.shadow is None:
        return None
    row = service.version(s, domain, head.shadow)
    rep = report.build(s, domain, head.shadow)
    return f"Shadow: {version_line(row)}\n{rep.summary()}"


def history_lines(s: Session, domain: str) -> list[str]:
    head = service.known_head(s, domain)
    out = []
    for row in reversed(service.versions(s, domain)):
        mark = (
            "active" if row.number == head.active else "shadow" if row.number == head.shadow else ""
        )
        out.append(f"v{row.number}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.file_version}\t"
                   f"{mark or '-'}\t{row.summary}")  # fmt: skip
        for field in ("reason", "expected", "rollback"):
            if getattr(row, field):
                out.append(f"\t{field}: {getattr(row, field)}")
        out.extend(f"\tnote ({n['at']}, {n['by']}): {n['text']}" for n in row.notes)
    return out


def list_line(head: CharterHeadRow | None, domain: str, rejected: str | None) -> str:
    if head is None:
        return f"{domain}\t-\tno good version: {rejected}"
    shadow = f"shadow v{head.shadow}" if head.shadow else "no shadow"
    tail = f"\tfile kept out: {rejected}" if rejected else ""
    return f"{domain}\tactive v{head.active}\t{shadow}{tail}"


def diff(s: Session, domain: str, old: int | None = None, new: int | None = None) -> str:
    """A unified diff of two versions' files (front matter and body); default: previous →
    active, or `old` → active."""
    head = service.known_head(s, domain)
    new = new if new is not None else head.active
    if old is None:
        old = service.previous(s, domain) if new == head.active else new - 1
    a, b = service.version(s, domain, old), service.version(s, domain, new)
    lines = difflib.unified_diff(
        a.content.splitlines(keepends=True),
        b.content.splitlines(keepends=True),
        fromfile=f"{domain} v{old}",
        tofile=f"{domain} v{new}",
    )
    return "".join(lines) or f"{domain}: versions {old} and {new} are the same.\n"
