"""The offline status-line grammar of CONTRACT §7.2: words the bot understands without a model.

    Phase: <text>   Sprint: <text>   Decision: <text>
    Next: <a>; <b>; <c>          Blocker: <text> | none        KPI <name>: <value>
    Headline: <green|yellow|red> <text>
    Ask <domain> [high|normal|low]: <the ask>                  Propose: <action>
    Remind <when>: <what>        (`<when>` as `domains.reminders.parse` reads it)

A status line is a line that *starts* with a key and a colon (keys case-insensitive). Leading
bullets, quote marks (also Slack's `&gt;`), list numbers and bold/italic markers around the key
are tolerated; anything else is free text and is handed back untouched in `other_text`. Lines
inside ``` fences are always free text. Only the first `MAX_PARSED_LINES` lines are read for
status lines; any after them are free text, so a long message costs what its first lines cost.
`Remind`'s `<when>` may hold a time (`Remind friday 17:00: …`): its separator is the first
colon not followed by a digit.

All or nothing: a message with any error must change nothing. `parse_status_lines` still
returns the ops it could build, but the caller must check `errors` first and, when there are
any, refuse the whole message (reply with `refusal_text(errors)`) and apply none of the ops.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from domains import texts
from domains.reminders.parse import WhenError, parse_when

Color = Literal["green", "yellow", "red"]
Priority = Literal["high", "normal", "low"]
COLORS: tuple[Color, ...] = ("green", "yellow", "red")
PRIORITIES: tuple[Priority, ...] = ("high", "normal", "low")
MAX_NEXT_STEPS = 3
MAX_VALUE_CHARS = 500
MAX_KPI_NAME_CHARS = 60
MAX_PARSED_LINES = 100  # lines read for status lines; the rest of a message is free text
MAX_QUOTED_CHARS = 200  # how much of a wrong line an error quotes back


class _Op(BaseModel):
    model_config = ConfigDict(frozen=True)


class SetPhase(_Op):
    kind: Literal["set_phase"] = "set_phase"
    text: str


class SetSprint(_Op):
    kind: Literal["set_sprint"] = "set_sprint"
    text: str


class SetDecision(_Op):
    kind: Literal["set_decision"] = "set_decision"
    text: str


class SetNext(_Op):
    """Replaces the whole list; an empty list (`Next: none`) clears it."""

    kind: Literal["set_next"] = "set_next"
    steps: list[str] = Field(max_length=MAX_NEXT_STEPS)


class AddBlocker(_Op):
    kind: Literal["add_blocker"] = "add_blocker"
    text: str


class ClearBlockers(_Op):
    kind: Literal["clear_blockers"] = "clear_blockers"


class SetKPI(_Op):
    kind: Literal["set_kpi"] = "set_kpi"
    name: str
    value: str


class SetHeadline(_Op):
    kind: Literal["set_headline"] = "set_headline"
    color: Color
    text: str


class Ask(_Op):
    """One cross-domain inbox entry; handled by the inbox, never by the status doc."""

    kind: Literal["ask"] = "ask"
    to_domain: str
    priority: Priority = "normal"
    text: str
    privacy_note: str = ""  # what the sender withheld, in its own words (an agent's handoff)


class Propose(_Op):
    """An action waiting for an operator's approval; handled by approvals."""

    kind: Literal["propose"] = "propose"
    action: str


class Remind(_Op):
    """A follow-up, due at `due_at` (aware, UTC); handled by reminders."""

    kind: Literal["remind"] = "remind"
    when: str  # as written: "friday 17:00"
    due_at: datetime
    text: str


Op = Annotated[
    SetPhase
    | SetSprint
    | SetDecision
    | SetNext
    | AddBlocker
    | ClearBlockers
    | SetKPI
    | SetHeadline
    | Ask
    | Propose
    | Remind,
    Field(discriminator="kind"),
]


class LineError(BaseModel):
    """A status line that could not be understood: where, what, and how to fix it."""

    model_config = ConfigDict(frozen=True)

    line_no: int  # 1-based, in the message as sent
    line: str
    hint: str


class ParsedLines(BaseModel):
    """Result of parsing one message. If `errors` is non-empty, apply none of `ops`."""

    ops: list[Op] = Field(default_factory=list)
    errors: list[LineError] = Field(default_factory=list)
    other_text: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def deferred_ops(ops: Sequence[Op]) -> list[Ask | Propose | Remind]:
    """The ops `apply_ops` leaves alone: asks go to the inbox, proposals to approvals,
    reminders to reminders."""
    return [op for op in ops if isinstance(op, Ask | Propose | Remind)]


def refusal_text(errors: Sequence[LineError]) -> str:
    """The bot's reply to a message with mistakes: nothing changed, and which lines to fix."""
    lines = [texts.line_error(e.line_no, e.line, e.hint) for e in errors]
    return "\n".join([texts.refusal_head(len(lines)), *lines])


def parse_status_lines(
    text: str,
    known_domains: Collection[str],
    *,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> ParsedLines:
    """Split a message into status ops, line errors and the remaining free text.

    Pure and deterministic given `now` (default: the current time) and `zone` (the operator's,
    PARALLELOS_TIMEZONE; default UTC), which `Remind` lines are read in. The caller must
    refuse the whole message when `errors` is non-empty: a message with a mistake changes
    nothing.
    """
    domains = {d.casefold(): d for d in known_domains}
    when = partial(parse_when, now=now or datetime.now(UTC), zone=zone or ZoneInfo("UTC"))
    result = ParsedLines()
    free: list[str] = []
    for line_no, raw, in_code in _lines(text):
        read = not in_code and line_no <= MAX_PARSED_LINES
        key = _match_key(_normalise(raw)) if read else None
        if key is None:
            free.append(raw)
            continue
        try:
            result.ops.append(_build(key, domains, when))
        except _Hint as hint:
            result.errors.append(LineError(line_no=line_no, line=_quote(raw), hint=str(hint)))
    result.other_text = "\n".join(free).strip()
    return result


# --- lines and keys ----------------------------------------------------------------------


class _Hint(Exception):
    """Raised by a builder with the correction hint for its line."""


@dataclass(frozen=True)
class _Key:
    name: str  # canonical key: phase, sprint, decision, next, blocker, kpi, headline, ask, propose,
    # remind
    value: str
    kpi: str = ""
    to: str = ""
    priority: str = ""
    when: str = ""


def _lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, raw line, inside a ``` fence) — fence lines themselves count as inside."""
    in_code = False
    for number, raw in enumerate(text.splitlines(), start=1):
        fence = raw.lstrip().startswith("```")
        yield number, raw, in_code or fence
        if fence and raw.strip().count("```") % 2 == 1:
            in_code = not in_code


_ENTITIES = re.compile(r"&(amp|lt|gt);")
_ENTITY_CHARS = {"amp": "&", "lt": "<", "gt": ">"}
_BULLETS = re.compile(r"^(?:(?:>|[-–—•◦▪‣·]|\*(?=\s)|\d{1,2}[.)](?=\s))\s*)+")
_KEYED = re.compile(r"^(?P<em>\*\*|\*|__|_)?(?P<head>[^:]+):(?P<value>.*)$", re.DOTALL)
_HEAD = re.compile(
    r"^(?:(?P<simple>phase|sprint|decision|propose|headline|next(?:\s+steps?)?|blockers?)"
    r"|kpi(?:\s+(?P<kpi>.+))?"
    r"|ask(?:\s+(?P<to>\S+)(?:\s+(?P<priority>\S+))?)?)$",
    re.IGNORECASE,
)


def _quote(raw: str) -> str:
    line = raw.strip()
    return line if len(line) <= MAX_QUOTED_CHARS else line[: MAX_QUOTED_CHARS - 1] + "…"


def _normalise(raw: str) -> str:
    """Undo Slack's HTML escaping and drop leading bullets, quote marks and list numbers."""
    line = _ENTITIES.sub(lambda m: _ENTITY_CHARS[m.group(1)], raw).strip()
    return _BULLETS.sub("", line)


_REMIND = re.compile(
    r"^(?P<em>\*\*|\*|__|_)?remind\b(?P<when>[^:]*(?::\d[^:]*)*):(?P<value>.*)$",
    re.IGNORECASE | re.DOTALL,
)


def _match_key(line: str) -> _Key | None:
    """The key of a status line, or None when the line is free text."""
    remind = _REMIND.match(line)
    if remind is not None:
        return _remind_key(remind)
    keyed = _KEYED.match(line)
    if keyed is None:
        return None
    em, value = keyed["em"] or "", keyed["value"]
    head = keyed["head"].strip().removesuffix(em).strip() if em else keyed["head"].strip()
    found = _HEAD.match(head)
    if found is None:
        return None
    if em:
        value = value.removeprefix(em) if value.startswith(em) else value.rstrip().removesuffix(em)
    return _key_from(found, value.strip())


def _remind_key(found: re.Match[str]) -> _Key:
    em, when, value = found["em"] or "", found["when"].strip(), found["value"]
    if em:
        when = when.removesuffix(em).strip()
        value = value.removeprefix(em) if value.startswith(em) else value.rstrip().removesuffix(em)
    return _Key(name="remind", value=value.strip(), when=when)


_ALIASES = {"next step": "next", "next steps": "next", "blockers": "blocker"}


def _key_from(found: re.Match[str], value: str) -> _Key:
    simple = " ".join((found["simple"] or "").casefold().split())
    if simple:
        return _Key(name=_ALIASES.get(simple, simple), value=value)
    if found.group(0).casefold().startswith("kpi"):
        return _Key(name="kpi", value=value, kpi=" ".join((found["kpi"] or "").split()))
    return _Key(name="ask", value=value, to=found["to"] or "", priority=found["priority"] or "")


# --- building ops --------------------------------------------------------------------------

_NONE = {"none", "none.", "nothing", "no"}


def _need(value: str, label: str) -> str:
    """The value of a line, or a hint when it is empty or too long for a status doc."""
    if not value:
        raise _Hint(texts.hint_empty(label))
    if len(value) > MAX_VALUE_CHARS:
        raise _Hint(texts.hint_too_long(label, len(value), MAX_VALUE_CHARS))
    return value


def _build(key: _Key, domains: Mapping[str, str], when: Callable[[str], datetime]) -> Op:
    builders: dict[str, Callable[[], Op]] = {
        "phase": lambda: SetPhase(text=_need(key.value, "Phase")),
        "sprint": lambda: SetSprint(text=_need(key.value, "Sprint")),
        "decision": lambda: SetDecision(text=_need(key.value, "Decision")),
        "propose": lambda: Propose(action=_need(key.value, "Propose")),
        "next": lambda: _next(key.value),
        "blocker": lambda: _blocker(key.value),
        "kpi": lambda: _kpi(key),
        "headline": lambda: _headline(key.value),
        "ask": lambda: _ask(key, domains),
        "remind": lambda: _remind(key, when),
    }
    return builders[key.name]()


def _next(value: str) -> SetNext:
    if value.casefold() in _NONE:
        return SetNext(steps=[])
    steps = [step.strip() for step in _need(value, "Next").split(";") if step.strip()]
    if not steps:
        raise _Hint(texts.hint_empty("Next"))
    if len(steps) > MAX_NEXT_STEPS:
        raise _Hint(texts.hint_too_many_steps(len(steps), MAX_NEXT_STEPS))
    return SetNext(steps=steps)


def _blocker(value: str) -> AddBlocker | ClearBlockers:
    if value.casefold() in _NONE:
        return ClearBlockers()
    return AddBlocker(text=_need(value, "Blocker"))


def _kpi(key: _Key) -> SetKPI:
    if not key.kpi:
        raise _Hint(texts.hint_kpi_name())
    if len(key.kpi) > MAX_KPI_NAME_CHARS:
        raise _Hint(texts.hint_too_long("KPI name", len(key.kpi), MAX_KPI_NAME_CHARS))
    return SetKPI(name=key.kpi, value=_need(key.value, "KPI"))


_EMOJI_COLORS = {emoji: color for color, emoji in texts.COLOR_EMOJI.items()}
_HEADLINE = re.compile(r"^(?P<color>[^\W\d_]+|\S)[\s,:;.\-–—]*(?P<text>.*)$", re.DOTALL)


def _headline(value: str) -> SetHeadline:
    found = _HEADLINE.match(_need(value, "Headline"))
    word = found["color"].casefold() if found else ""
    color = _EMOJI_COLORS.get(word, word)
    if color not in COLORS:
        raise _Hint(texts.hint_headline_color())
    text = found["text"].strip() if found else ""
    if not text:
        raise _Hint(texts.hint_headline_text())
    return SetHeadline(color=color, text=text)


def _ask(key: _Key, domains: Mapping[str, str]) -> Ask:
    names = sorted(domains.values(), key=str.casefold)
    if not key.to:
        raise _Hint(texts.hint_ask_domain(names))
    to_domain = _resolve_domain(key.to, domains)
    if to_domain is None:
        raise _Hint(texts.hint_unknown_domain(key.to, names))
    priority = (key.priority or "normal").casefold()
    if priority not in PRIORITIES:
        raise _Hint(texts.hint_priority(key.priority))
    return Ask(to_domain=to_domain, priority=priority, text=_need(key.value, "Ask"))


_CHANNEL_LINK = re.compile(r"^<#\w+\|(?P<label>[^>]*)>$")


def _resolve_domain(token: str, domains: Mapping[str, str]) -> str | None:
    """`finance`, `Finance`, `#finance`, `@finance`, or a Slack link to `#pos-finance`."""
    link = _CHANNEL_LINK.match(token)
    name = (link["label"] if link else token).lstrip("#@").casefold()
    if name in domains:
        return domains[name]
    prefixed = [d for key, d in domains.items() if name.endswith("-" + key)]
    return prefixed[0] if len(prefixed) == 1 else None


def _remind(key: _Key, when: Callable[[str], datetime]) -> Remind:
    """`Remind <when>: <what>`: the time is checked first (it is the likelier mistake)."""
    try:
        due_at = when(key.when)
    except WhenError as exc:
        raise _Hint(str(exc)) from None
    return Remind(when=key.when, due_at=due_at, text=_need(key.value, "Remind"))
