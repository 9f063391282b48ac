"""A brief's content: deterministic sections from `BriefData`, split into `Post`s by `paging`.

Layouts: `daily` (what changed, what waits on the operator), `friday` (review and questions),
any other hub brief the weekly operating brief, and a domain's own brief (finance review,
opportunity scan, learning agenda, launch readiness) the domain-scoped variant. Long lists are
summarised ("…and n more — `inbox` lists them all"); nothing here can fail on size.
"""

from __future__ import annotations

from datetime import datetime

from domains.board import BoardRow
from domains.briefs import texts
from domains.briefs.data import BriefData
from domains.briefs.paging import Section, paginate
from domains.briefs.sources import FollowUp
from domains.texts import EMPTY
from orchestrator.canonical import Post


def compose(data: BriefData) -> list[Post]:
    """The brief's posts, in order: the brief itself (split when long), then approval cards."""
    spec = data.request.spec
    if data.scope is not None:
        sections = _domain_sections(data)
    elif spec.name == "daily":
        sections = _daily_sections(data)
    elif spec.name == "friday":
        sections = _friday_sections(data)
    else:
        sections = _weekly_sections(data)
    context = data.request.note or texts.context(data.request.period, str(data.request.zone))
    posts = paginate(spec.title, _summary(data), sections, context)
    return posts + _approval_cards(data)


def _weekly_sections(data: BriefData) -> list[Section]:
    return [
        _board(data),
        _blockers(data),
        _decisions(data),
        _inbox(data),
        _approvals(data),
        _follow_ups(data),
        _stale(data),
    ]


def _daily_sections(data: BriefData) -> list[Section]:
    red = [texts.headline(r.headline_color, r.title, r.headline_text) for r in _red(data)]
    waits = _lines(_approvals(data)) + _lines(_inbox(data, high_only=True)) + red
    sections = [
        _changes(data),
        _decisions(data),
        Section(texts.H_WAITS, waits or [texts.NONE]),
    ]
    if data.failed:
        lines = [texts.failed_line(b, p, n) for b, p, n in data.failed]
        sections.append(Section(texts.H_FAILED, lines))
    return sections + _overdue(data)


def _friday_sections(data: BriefData) -> list[Section]:
    questions = [
        texts.question(r.title, r.headline_color, r.headline_text)
        for r in data.rows
        if r.headline_color in ("red", "yellow")
    ]
    return [
        _decisions(data),
        _changes(data),
        _blockers(data),
        _approvals(data),
        Section(texts.H_QUESTIONS, questions or [texts.NONE]),
        _stale(data),
        *_overdue(data),
    ]


def _domain_sections(data: BriefData) -> list[Section]:
    doc = data.docs.get(data.scope or "")
    sections = [
        Section(texts.H_PHASE, [doc.phase if doc and doc.phase else EMPTY]),
        Section(texts.H_SPRINT, [doc.sprint if doc and doc.sprint else EMPTY]),
        Section(texts.H_NEXT, _numbered(doc.next_steps if doc else [])),
        _blockers(data),
        Section(texts.H_KPIS, [f"• {k}: {v}" for k, v in (doc.kpis if doc else {}).items()]),
        _decisions(data),
        _changes(data),
        _inbox(data),
        _approvals(data),
        _follow_ups(data),
    ]
    if data.request.spec.name == "launch_readiness":
        color = doc.headline_color if doc else None
        verdict = texts.readiness(color, len(doc.blockers) if doc else 0)
        sections.insert(0, Section(texts.H_READINESS, [verdict]))
    return [s if s.lines else Section(s.label, [texts.NONE]) for s in sections]


# -- sections ------------------------------------------------------------------------------
def _board(data: BriefData) -> Section:
    lines = []
    for row in data.rows:
        line = texts.headline(row.headline_color, row.title, row.headline_text)
        if row.stale:
            line += f" · {texts.stale_mark(row.age_days)}"
        lines.append(line)
        doc = data.docs.get(row.domain)
        if doc and doc.next_steps:
            lines.append(f"    {texts.H_NEXT}: " + "; ".join(doc.next_steps))
    return Section(texts.H_BOARD, lines or [texts.NONE])


def _blockers(data: BriefData) -> Section:
    lines = []
    for row in data.rows:
        doc = data.docs.get(row.domain)
        lines += [f"• *{row.domain}*: {b}" for b in (doc.blockers if doc else [])]
    return Section(texts.heading(texts.H_BLOCKERS, len(lines)), lines or [texts.NONE])


def _decisions(data: BriefData) -> Section:
    page = data.decisions
    lines = [texts.decision_line(d.domain, d.text, data.local(d.at)) for d in page.items]
    if page.more:
        lines.append(texts.more_plain(page.more))
    label = texts.since("Decisions", data.local(data.request.since))
    return Section(texts.heading(label, page.total), lines or [texts.NONE])


def _changes(data: BriefData) -> Section:
    page = data.changes
    lines = [texts.change_line(c.domain, c.summary, data.local(c.at)) for c in page.items]
    if page.more:
        lines.append(texts.more_plain(page.more))
    label = texts.since(texts.H_CHANGES, data.local(data.request.since))
    return Section(texts.heading(label, page.total), lines or [texts.NONE])


def _inbox(data: BriefData, *, high_only: bool = False) -> Section:
    page = data.inbox
    now = data.request.now
    items = [i for i in page.items if i.priority == "high" or not high_only]
    lines = [
        texts.inbox_line(
            i.priority, i.to_domain, i.from_domain, texts.age(now, i.created_at), i.title
        )
        for i in items
    ]
    if page.more and not high_only:
        lines.append(texts.more(page.more, "inbox"))
    return Section(texts.heading(texts.H_INBOX, page.total), lines or [texts.NONE])


def _approvals(data: BriefData) -> Section:
    page = data.approvals
    now = data.request.now
    lines = [
        texts.approval_line(
            a.ref, a.domain, texts.age(now, a.created_at), a.text, _left(now, a.expires_at)
        )
        for a in page.items
    ]
    if page.more:
        lines.append(texts.more(page.more, "approvals"))
    return Section(texts.heading(texts.H_APPROVALS, page.total), lines or [texts.NONE])


def _follow_ups(data: BriefData) -> Section:
    """Every open follow-up; those a day past due are marked overdue."""
    page, now = data.follow_ups, data.request.now
    overdue = {f.id for f in data.overdue.items}
    lines = [
        texts.follow_up_line(f.id, f.domain, data.local(f.due_at), f.text, _state(f, now, overdue))
        for f in page.items
    ]
    if page.more:
        lines.append(texts.more(page.more, "reminders"))
    return Section(texts.heading(texts.H_FOLLOW_UPS, page.total), lines or [texts.NONE])


def _overdue(data: BriefData) -> list[Section]:
    """Follow-ups still unanswered a day after they were due (no section when there are none)."""
    page, now = data.overdue, data.request.now
    if not page.total:
        return []
    lines = [
        texts.follow_up_line(
            f.id, f.domain, data.local(f.due_at), f.text, f"overdue {texts.age(now, f.due_at)}"
        )  # fmt: skip
        for f in page.items
    ]
    if page.more:
        lines.append(texts.more(page.more, "reminders"))
    return [Section(texts.heading(texts.H_OVERDUE, page.total), lines)]


def _state(item: FollowUp, now: datetime, overdue: set[int]) -> str:
    if item.status == "snoozed":
        return "snoozed"
    return f"overdue {texts.age(now, item.due_at)}" if item.id in overdue else ""


def _stale(data: BriefData) -> Section:
    lines = [f"• *{r.title}* — {texts.stale_mark(r.age_days)}" for r in data.rows if r.stale]
    return Section(texts.heading(texts.H_STALE, len(lines)), lines or [texts.NONE])


def _approval_cards(data: BriefData) -> list[Post]:
    """Each listed approval's own card, buttons and all, so it can be decided from here."""
    return [a.card for a in data.approvals.items if a.card is not None]


def card_refs(data: BriefData) -> list[str]:
    """The approvals whose cards end the brief's posts, in order."""
    return [a.ref for a in data.approvals.items if a.card is not None]


def _left(now: datetime, expires_at: datetime | None) -> str | None:
    return texts.age(expires_at, now) if expires_at else None


def _red(data: BriefData) -> list[BoardRow]:
    return [r for r in data.rows if r.headline_color == "red"]


def _lines(section: Section) -> list[str]:
    return [line for line in section.lines if line != texts.NONE]


def _numbered(items: list[str]) -> list[str]:
    return [f"{i}. {item}" for i, item in enumerate(items, 1)]


def _summary(data: BriefData) -> str:
    colors = " · ".join(
        f"{texts.emoji(c)} {n}"
        for c in ("red", "yellow", "green", None)
        if (n := sum(r.headline_color == c for r in data.rows))
    )
    in_scope = {r.domain for r in data.rows}
    blockers = sum(len(d.blockers) for name, d in data.docs.items() if name in in_scope)
    stale = sum(r.stale for r in data.rows)
    return texts.summary(
        [
            colors,
            f"{blockers} blocker(s)" if blockers else "",
            f"{data.inbox.total} open ask(s)" if data.inbox.total else "",
            f"{data.approvals.total} approval(s) waiting" if data.approvals.total else "",
            f"{data.overdue.total} overdue follow-up(s)" if data.overdue.total else "",
            f"{stale} stale" if stale else "",
        ]
    )
