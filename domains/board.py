"""The headline board: every domain in one glance — colour, headline, next action, freshness.

Pure: built from status docs and charter titles by the caller, rendered to a canonical `Post`
or Markdown. A domain whose doc was updated but not for `stale_after_days` is flagged stale; a
domain never updated is not stale, it simply has no headline yet (⚪).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domains import texts
from domains.status_doc import StatusDoc
from domains.status_lines import Color
from orchestrator.canonical import Field_, Post

DEFAULT_STALE_AFTER_DAYS = 7


class BoardRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    domain: str
    title: str
    headline_color: Color | None = None
    headline_text: str = ""
    next_action: str = ""  # the first of the top 3 next steps
    owner: str | None = None  # the charter's owner if given, else who last updated the doc
    updated_at: datetime | None = None
    age_days: int | None = None  # whole days since updated_at, at build time
    stale: bool = False


def build_board(
    docs: Mapping[str, StatusDoc | None],
    charters_titles: Mapping[str, str],
    *,
    now: datetime,
    stale_after_days: Mapping[str, int] | int = DEFAULT_STALE_AFTER_DAYS,
    owners: Mapping[str, str] | None = None,
) -> list[BoardRow]:
    """One row per domain: charter order first, then any doc without a charter, by name."""
    extra = sorted(set(docs) - set(charters_titles))
    rows = []
    for domain in [*charters_titles, *extra]:
        limit = _limit(stale_after_days, domain)
        owner = (owners or {}).get(domain)
        title = charters_titles.get(domain, domain.capitalize())
        rows.append(_row(domain, title, docs.get(domain), now, limit, owner))
    return rows


def _limit(stale_after_days: Mapping[str, int] | int, domain: str) -> int:
    if isinstance(stale_after_days, int):
        return stale_after_days
    return stale_after_days.get(domain, DEFAULT_STALE_AFTER_DAYS)


def _row(
    domain: str, title: str, doc: StatusDoc | None, now: datetime, limit: int, owner: str | None
) -> BoardRow:
    if doc is None:
        return BoardRow(domain=domain, title=title, owner=owner)
    age = None
    if doc.updated_at is not None:
        age = max(0, (texts.as_utc(now) - texts.as_utc(doc.updated_at)).days)
    return BoardRow(
        domain=domain,
        title=title,
        headline_color=doc.headline_color,
        headline_text=doc.headline_text,
        next_action=doc.next_steps[0] if doc.next_steps else "",
        owner=owner or doc.updated_name or doc.updated_by,
        updated_at=doc.updated_at,
        age_days=age,
        stale=age is not None and age >= limit,
    )


def _emoji(row: BoardRow) -> str:
    return texts.COLOR_EMOJI.get(row.headline_color or "", texts.NO_HEADLINE_EMOJI)


def _detail(row: BoardRow) -> str:
    """`Next: renew passport · updated 3d ago · stale` — the second line of a row."""
    parts = [texts.board_next(row.next_action), texts.age(row.age_days)]
    if row.owner:
        parts.append(texts.board_owner(row.owner))
    if row.stale:
        parts.append(f"⚠️ {texts.STALE}")
    return " · ".join(parts)


def render_board_post(rows: Sequence[BoardRow]) -> Post:
    """One section per domain: colour and title as the heading, headline and next action below."""
    sections = [
        Field_(
            label=f"{_emoji(row)} {row.title}",
            value=f"{texts.show(row.headline_text)}\n{_detail(row)}",
        )
        for row in rows
    ]
    return Post(
        text=_summary(rows),
        title=texts.BOARD_TITLE,
        sections=sections,
        context=None if rows else texts.NO_BOARD_ROWS,
    )


def _summary(rows: Sequence[BoardRow]) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        key = row.headline_color or "none"
        counts[key] = counts.get(key, 0) + 1
    return texts.board_summary(counts, sum(row.stale for row in rows))


def render_board_markdown(rows: Sequence[BoardRow]) -> str:
    """The board as a Markdown table, for export."""
    lines = [f"# {texts.BOARD_TITLE}", "", texts.BOARD_MD_HEADER]
    lines += [_md_row(row) for row in rows]
    return "\n".join(lines) + "\n"


def _md_row(row: BoardRow) -> str:
    updated = texts.fmt_time(row.updated_at) if row.updated_at else texts.EMPTY
    cells = [
        _emoji(row),
        f"{row.title} (`{row.domain}`)",
        texts.show(row.headline_text),
        texts.show(row.next_action),
        texts.show(row.owner),
        updated,
        texts.STALE if row.stale else "",
    ]
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())
