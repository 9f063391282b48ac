"""A domain's status doc: where things stand, under the stable headings of CONTRACT §7.2.

Pure: applying status ops, rendering to a canonical `Post` or Markdown, reading an export back.
Persistence, the event log and delivery live elsewhere; they store what `apply_ops` returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from domains import texts
from domains.status_lines import (
    MAX_NEXT_STEPS,
    AddBlocker,
    ClearBlockers,
    Color,
    Op,
    SetDecision,
    SetHeadline,
    SetKPI,
    SetNext,
    SetPhase,
    SetSprint,
)
from orchestrator.canonical import Field_, Post

UPDATE_PROTOCOL = texts.UPDATE_PROTOCOL
_TextOp = SetPhase | SetSprint | SetDecision


class StatusDoc(BaseModel):
    """The whole doc of one domain. Empty text is "", shown as a dash."""

    domain: str
    phase: str = ""
    sprint: str = ""
    decision: str = ""
    next_steps: list[str] = Field(default_factory=list, max_length=MAX_NEXT_STEPS)
    blockers: list[str] = Field(default_factory=list)
    kpis: dict[str, str] = Field(default_factory=dict)  # insertion-ordered
    headline_color: Color | None = None
    headline_text: str = ""
    updated_at: datetime | None = None
    updated_by: str | None = None  # an identity (`slack:U1`) or `agent:<domain>`
    updated_name: str | None = None  # that person's display name, when known

    @field_validator("next_steps", "blockers")
    @classmethod
    def _one_line_items(cls, items: list[str]) -> list[str]:
        """List items are single lines, so every render and export reads back the same."""
        return [_one_line(item) for item in items]

    @field_validator("kpis")
    @classmethod
    def _clean_kpis(cls, kpis: dict[str, str]) -> dict[str, str]:
        """KPI names cannot hold a colon: `KPI <name>: <value>` splits at the first one."""
        if any(":" in name for name in kpis):
            raise ValueError("KPI names cannot contain ':'")
        return {_one_line(name): _one_line(value) for name, value in kpis.items()}


def _one_line(text: str) -> str:
    return " ".join(text.split())


class Change(BaseModel):
    """One actual change, for the event log (old → new) and the thread confirmation (summary).

    `field` is phase, sprint, decision, next_steps, blockers, headline or `kpi:<name>`.
    """

    model_config = ConfigDict(frozen=True)

    field: str
    old: str
    new: str
    summary: str


def apply_ops(
    doc: StatusDoc, ops: Sequence[Op], *, actor: str, at: datetime, name: str | None = None
) -> tuple[StatusDoc, list[Change]]:
    """Apply status ops in order to a copy of `doc`; return the new doc and what changed.

    Pure: `doc` is not modified. An op that sets a value to what it already is yields no
    Change. `Ask` and `Propose` ops are skipped here — the caller hands them to the inbox and
    approvals (see `status_lines.deferred_ops`). `updated_at`/`updated_by` are stamped when
    any doc op was sent, even if nothing changed: re-confirming a status keeps it from going
    stale. Call only with ops from a message without errors.
    """
    new = doc.model_copy(deep=True)
    changes: list[Change] = []
    touched = False
    for op in ops:
        applier = _APPLIERS.get(op.kind)
        if applier is None:
            continue
        touched = True
        change = applier(new, op)
        if change is not None:
            changes.append(change)
    if touched:
        new.updated_at, new.updated_by, new.updated_name = at, actor, name
    return new, changes


def confirmation_text(changes: Sequence[Change], domain: str | None = None) -> str:
    """The short reply in the thread: `Updated travel: phase → Planning; next steps → 3 items`."""
    return texts.confirmation(domain, [change.summary for change in changes])


# --- appliers: each mutates the private copy and returns its Change, or None ----------------


def _set_text(attr: str, label: str) -> Callable[[StatusDoc, _TextOp], Change | None]:
    def apply(doc: StatusDoc, op: _TextOp) -> Change | None:
        old, new = getattr(doc, attr), op.text
        if old == new:
            return None
        setattr(doc, attr, new)
        summary = texts.changed_to(label, new)
        return Change(field=attr, old=texts.show(old), new=texts.show(new), summary=summary)

    return apply


def _set_next(doc: StatusDoc, op: SetNext) -> Change | None:
    old = list(doc.next_steps)
    if old == op.steps:
        return None
    doc.next_steps = list(op.steps)
    summary = texts.next_steps_changed(len(op.steps))
    return Change(
        field="next_steps", old=_show_list(old), new=_show_list(op.steps), summary=summary
    )


def _add_blocker(doc: StatusDoc, op: AddBlocker) -> Change | None:
    old = list(doc.blockers)
    if op.text.casefold() in {b.casefold() for b in old}:
        return None
    doc.blockers = [*old, op.text]
    new = _show_list(doc.blockers)
    summary = texts.blocker_added(op.text)
    return Change(field="blockers", old=_show_list(old), new=new, summary=summary)


def _clear_blockers(doc: StatusDoc, op: ClearBlockers) -> Change | None:
    old = list(doc.blockers)
    if not old:
        return None
    doc.blockers = []
    summary = texts.blockers_cleared(len(old))
    return Change(field="blockers", old=_show_list(old), new=texts.EMPTY, summary=summary)


def _set_kpi(doc: StatusDoc, op: SetKPI) -> Change | None:
    """KPI names match case-insensitively; the first spelling used stays."""
    name = next((k for k in doc.kpis if k.casefold() == op.name.casefold()), op.name)
    old = doc.kpis.get(name, "")
    if old == op.value:
        return None
    doc.kpis = {**doc.kpis, name: op.value}
    summary = texts.changed_from_to(f"KPI {name}", old, op.value)
    return Change(field=f"kpi:{name}", old=texts.show(old), new=op.value, summary=summary)


def _set_headline(doc: StatusDoc, op: SetHeadline) -> Change | None:
    old = texts.headline_line(doc.headline_color, doc.headline_text)
    if (doc.headline_color, doc.headline_text) == (op.color, op.text):
        return None
    doc.headline_color, doc.headline_text = op.color, op.text
    new = texts.headline_line(op.color, op.text)
    summary = texts.changed_to("headline", new)
    return Change(field="headline", old=old, new=new, summary=summary)


def _show_list(values: Sequence[str]) -> str:
    return "; ".join(values) if values else texts.EMPTY


# Keyed by op kind; Ask and Propose are deliberately absent (the caller's to handle).
_APPLIERS: dict[str, Callable[[StatusDoc, Any], Change | None]] = {
    "set_phase": _set_text("phase", "phase"),
    "set_sprint": _set_text("sprint", "sprint"),
    "set_decision": _set_text("decision", "decision"),
    "set_next": _set_next,
    "add_blocker": _add_blocker,
    "clear_blockers": _clear_blockers,
    "set_kpi": _set_kpi,
    "set_headline": _set_headline,
}


# --- rendering ---------------------------------------------------------------------------


def _bodies(doc: StatusDoc, update_protocol: str) -> list[tuple[str, str]]:
    """(heading, body) in the contract's order; bodies are plain text, dash when empty."""
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(doc.next_steps, start=1))
    return [
        (texts.H_PHASE, texts.show(doc.phase)),
        (texts.H_SPRINT, texts.show(doc.sprint)),
        (texts.H_DECISION, texts.show(doc.decision)),
        (texts.H_NEXT, texts.show(steps)),
        (texts.H_BLOCKERS, texts.show(_bullets(doc.blockers))),
        (texts.H_KPIS, texts.show(_bullets(f"{k}: {v}" for k, v in doc.kpis.items()))),
        (texts.H_HEADLINE, texts.headline_line(doc.headline_color, doc.headline_text)),
        (texts.H_PROTOCOL, texts.show(update_protocol.strip())),
    ]


def _bullets(values: Iterable[str]) -> str:
    return "\n".join(f"- {value}" for value in values)


def render_status_post(
    doc: StatusDoc, charter_title: str, update_protocol: str = UPDATE_PROTOCOL
) -> Post:
    """The doc as a canonical post: one section per stable heading, in the contract's order."""
    return Post(
        text=texts.status_fallback(charter_title, doc.headline_color, doc.headline_text),
        title=texts.status_title(charter_title),
        sections=[Field_(label=h, value=body) for h, body in _bodies(doc, update_protocol)],
        context=texts.updated_note(doc.updated_at, doc.updated_name or doc.updated_by),
    )


def render_status_markdown(
    doc: StatusDoc, charter_title: str, update_protocol: str = UPDATE_PROTOCOL
) -> str:
    """The doc as Markdown for export; `parse_status_markdown` reads it back."""
    meta = {"domain": doc.domain, "updated_at": None, "updated_by": doc.updated_by}
    if doc.updated_at is not None:
        meta["updated_at"] = doc.updated_at.isoformat()
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).strip()
    parts = [f"---\n{front}\n---", f"# {texts.status_title(charter_title)}"]
    parts += [f"## {heading}\n\n{body}" for heading, body in _bodies(doc, update_protocol)]
    return "\n\n".join(parts) + "\n"


# --- reading an export back ----------------------------------------------------------------

_FRONT = re.compile(r"\A---\n(?P<meta>.*?)\n---\n", re.DOTALL)
_HEADING = re.compile(r"^## (?P<h>.+?)\s*$", re.MULTILINE)
_NUMBERED = re.compile(r"^\d+\.\s+")
_HEADLINE_MD = re.compile(r"^\S+\s+(?P<color>green|yellow|red) — (?P<text>.*)$", re.DOTALL)


def parse_status_markdown(md: str) -> StatusDoc:
    """Read back what `render_status_markdown` wrote. Raises ValueError when it is not one."""
    front = _FRONT.match(md.replace("\r\n", "\n"))
    meta = yaml.safe_load(front["meta"]) if front else None
    if not isinstance(meta, dict) or not meta.get("domain"):
        raise ValueError("not a status doc export: front matter with `domain:` is missing")
    sections = _sections(md[front.end() :])  # type: ignore[union-attr]
    color, headline = _parse_headline(sections.get(texts.H_HEADLINE, ""))
    return StatusDoc(
        domain=meta["domain"],
        phase=sections.get(texts.H_PHASE, ""),
        sprint=sections.get(texts.H_SPRINT, ""),
        decision=sections.get(texts.H_DECISION, ""),
        next_steps=_list_items(sections.get(texts.H_NEXT, ""), _NUMBERED),
        blockers=_list_items(sections.get(texts.H_BLOCKERS, ""), re.compile(r"^- ")),
        kpis=_parse_kpis(sections.get(texts.H_KPIS, "")),
        headline_color=color,
        headline_text=headline,
        updated_at=meta.get("updated_at"),
        updated_by=meta.get("updated_by"),
    )


def _sections(body: str) -> dict[str, str]:
    """Known `## heading` → its text, stripped; a dash means empty."""
    marks = [m for m in _HEADING.finditer(body) if m["h"] in texts.STATUS_HEADINGS]
    out: dict[str, str] = {}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(body)
        text = body[mark.end() : end].strip()
        out[mark["h"]] = "" if text == texts.EMPTY else text
    return out


def _list_items(text: str, marker: re.Pattern[str]) -> list[str]:
    return [marker.sub("", line, count=1) for line in text.splitlines() if marker.match(line)]


def _parse_kpis(text: str) -> dict[str, str]:
    items = _list_items(text, re.compile(r"^- "))
    pairs = (item.partition(": ") for item in items)
    return {key: value for key, _, value in pairs}


def _parse_headline(text: str) -> tuple[Color | None, str]:
    found = _HEADLINE_MD.match(text)
    if found:
        text = found["text"]
        return found["color"], "" if text == texts.EMPTY else text  # type: ignore[return-value]
    return None, text.removeprefix(texts.NO_HEADLINE_EMOJI).strip()
