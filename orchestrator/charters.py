"""The charter's typed shape: what a domain is, as routing, scope checks and staff read it.

A charter is a Markdown file with YAML front matter (CONTRACT §5); `domains.charter` loads and
validates the files into these models. They live in the kernel because the router and the
pipeline read them; nothing here touches a file.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
HUB = "hub"
# Names no domain may take, and why: the hub's file, and the dashboard's own pages, which a
# domain's page (`/dashboard/<domain>`) would otherwise hide behind or be hidden by.
RESERVED_NAMES = {
    HUB: "the cross-domain briefs file",
    "events": "the dashboard's event log (/dashboard/events)",
    "stream": "the dashboard's live updates (/dashboard/stream)",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _check_name(v: str) -> str:
    if not NAME_RE.match(v):
        raise ValueError("should be lowercase letters, digits, '-' or '_', starting a-z")
    return v


def _check_version(v: str) -> str:
    if not VERSION_RE.match(v):
        raise ValueError("should look like 1.0.0")
    return v


Name = Annotated[str, AfterValidator(_check_name)]
Version = Annotated[str, AfterValidator(_check_version)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BriefSpec(_Strict):
    """One recurring (or on-demand) brief: when it runs and where it is posted."""

    name: Name
    title: str
    cron: str
    timezone: str | None = None
    post_to: str
    description: str
    on_demand_only: bool = False
    owner: str

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        from croniter import croniter  # imported when a charter is loaded, not at import

        if not croniter.is_valid(v):
            raise ValueError(f"'{v}' is not a valid cron expression (e.g. '0 8 * * 1')")
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str | None) -> str | None:
        if v is None:
            return None
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{v}' is not an IANA time zone (e.g. Europe/London)") from None
        return v


class DecisionRights(_Strict):
    may_decide_alone: list[str]
    needs_approval: list[str]


class StatusDocSpec(_Strict):
    """What each stable heading of the status doc means in this domain."""

    current_phase: str = "Where the work stands overall."
    active_sprint: str = "What is being pushed this week or two."
    latest_decision: str = "The most recent decision, who made it and when."
    top_next_steps: str = "The three next actions, in order."
    blockers: str = "What stops progress and who can unblock it."
    kpis: list[str] = Field(default_factory=list)
    update_protocol: str = "Update with status lines in the domain's channel (CONTRACT §7.2)."
    stale_after_days: int = Field(7, ge=1)


class HeadlineSpec(_Strict):
    """The one line on the shared board and what its colour promises."""

    format: str = "One line: where things stand and the next move."
    green: str = "On track; nothing needs the operator."
    yellow: str = "At risk or waiting; the operator should look this week."
    red: str = "Blocked or overdue; the operator must act now."


class Budget(_Strict):
    monthly_usd: float = Field(10.0, gt=0)
    max_tool_iterations: int = Field(8, ge=1)
    job_timeout_seconds: int = Field(120, ge=1)
    brief_summary_max_tokens: int = Field(400, ge=1)


class ChangelogEntry(_Strict):
    """Why a version exists (the launch essay's record of an agent change). `note` is the older
    name of `summary` and is still read."""

    version: Version
    date: dt.date
    summary: str | None = None
    note: str | None = None
    reason: str | None = None
    expected: str | None = None
    rollback: str | None = None

    @model_validator(mode="after")
    def _has_summary(self) -> ChangelogEntry:
        if not (self.summary or self.note):
            raise ValueError("needs a summary (what changed)")
        return self

    @property
    def text(self) -> str:
        return self.summary or self.note or ""


class CharterTest(_Strict):
    """One of a charter's own test cases: a message and what must happen to it offline.
    `expect` is a domain's name, `decline` (refused as out of every scope) or `unsure`."""

    message: str = Field(min_length=1)
    expect: str = Field(min_length=1)


class Boundary(_Strict):
    """A hard limit this domain declines. A message matching any of `patterns` (regular
    expressions over lowercased text) and none of `unless` is declined with `description` as the
    reason. `{name}` in a pattern stands for the alternation of `terms[name]`. `examples`
    document the limit and are checked by the tests. `answers` are patterns over a model's
    reply that crosses the limit (a dose, a buy/sell/hold call, a verdict): such a reply is
    replaced by the decline. `when: judgement` limits the patterns to messages that ask for a
    judgement (not a command to do admin, not a request for a fact; see
    `orchestrator.boundary`): the shipped licensed-advice limits use it, so "log my dose" is
    kept; a limit an operator writes applies to every message by default."""

    kind: str
    description: str
    when: Literal["always", "judgement"] = "always"
    terms: dict[str, list[str]] = Field(default_factory=dict)
    patterns: list[str] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list)
    answers: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _regexes(self) -> Boundary:
        for field in ("patterns", "unless", "answers"):
            for i, pattern in enumerate(self.expanded(field)):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(
                        f"{field}[{i}] is not a valid regular expression: {exc}"
                    ) from None
        return self

    def expanded(self, field: Literal["patterns", "unless", "answers"] = "patterns") -> list[str]:
        """The patterns with every `{name}` replaced by `(?:term|term|...)`."""

        def expand(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.terms:
                raise ValueError(
                    f"{field}: '{{{name}}}' is not one of terms ({', '.join(self.terms)})"
                )
            return "(?:" + "|".join(self.terms[name]) + ")"

        return [_PLACEHOLDER.sub(expand, p) for p in getattr(self, field)]


_REFERENCE = re.compile(r"^\$\{([A-Z][A-Z0-9_]*)\}$")
SETTING_REF = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
ToolKind = Literal["read", "effect"]


def _reference(v: str) -> str:
    if not _REFERENCE.match(v):
        raise ValueError("should be a ${SETTING} reference, never the secret itself")
    return v


class McpServerSpec(_Strict):
    """One MCP server a domain's agent may use (issue 13): started by `command` (stdio) or
    reached at `url` (streamable HTTP). `env` and `headers` values are `${SETTING}` references,
    read from the environment when the server starts; `${SETTING}` may also appear in `args`
    and `url`. `tools` names every tool offered, each `read` (the agent calls it on its own) or
    `effect` (the call waits for an operator's Approve); a tool not listed is not offered."""

    name: Name
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, Annotated[str, AfterValidator(_reference)]] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, Annotated[str, AfterValidator(_reference)]] = Field(default_factory=dict)
    timeout_seconds: float = Field(20.0, gt=0, le=600)
    max_result_chars: int = Field(4000, ge=100, le=100_000)
    tools: dict[str, ToolKind] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerSpec:
        if (self.command is None) == (self.url is None):
            raise ValueError("needs exactly one of command (stdio) or url (streamable HTTP)")
        if self.url is not None and not re.match(r"^https?://", self.url):
            raise ValueError("url should start with http:// or https://")
        return self

    def settings_needed(self) -> list[str]:
        """Every `${SETTING}` the server reads, in order, once each."""
        texts = [*self.args, *self.env.values(), *self.headers.values(), self.url or ""]
        names = [m.group(1) for t in texts for m in SETTING_REF.finditer(t)]
        return list(dict.fromkeys(names))


class Routing(_Strict):
    keywords: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    boundaries: list[Boundary] = Field(default_factory=list)

    @field_validator("keywords", mode="before")
    @classmethod
    def _plain_numbers(cls, v: Any) -> Any:
        """YAML reads `1099` as a number; a keyword is always text."""
        if isinstance(v, list):
            return [
                str(k) if isinstance(k, int | float) and not isinstance(k, bool) else k for k in v
            ]
        return v


class Charter(_Strict):
    """One domain's charter: front matter fields, the Markdown body and where it came from."""

    name: Name
    kind: Literal["domain"] = "domain"
    title: str
    mission: str
    in_scope: list[str] = Field(min_length=1)
    out_of_scope: list[str]
    required_context: list[str]
    default_outputs: list[str]
    decision_rights: DecisionRights
    escalation_triggers: list[str]
    privacy_rules: list[str]
    status_doc: StatusDocSpec = Field(default_factory=StatusDocSpec)
    headline: HeadlineSpec = Field(default_factory=HeadlineSpec)
    briefs: list[BriefSpec] = Field(default_factory=list)
    budget: Budget = Field(default_factory=Budget)
    approval_expiry_days: int = Field(7, ge=1)
    version: Version
    changelog: list[ChangelogEntry] = Field(min_length=1)
    tests: list[CharterTest] = Field(default_factory=list)
    routing: Routing = Field(default_factory=Routing)
    mcp_servers: list[McpServerSpec] = Field(default_factory=list)
    body: str = ""
    path: Path

    @field_validator("mcp_servers")
    @classmethod
    def _unique_servers(cls, v: list[McpServerSpec]) -> list[McpServerSpec]:
        names = [s.name for s in v]
        if len(names) != len(set(names)):
            raise ValueError("two servers have the same name")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if v in RESERVED_NAMES:
            raise ValueError(
                f"'{v}' is reserved for {RESERVED_NAMES[v]}: name the domain otherwise"
            )
        return v

    @field_validator("mission")
    @classmethod
    def _mission(cls, v: str) -> str:
        if "\n" in v.strip():
            raise ValueError("should be one line")
        return v.strip()

    def prompt_text(self) -> str:
        """A compact rendering of the charter for a language model's system prompt."""
        lines = [f"You are the {self.title} domain ({self.name}). Mission: {self.mission}"]
        sections = [
            ("In scope", self.in_scope),
            ("Out of scope", self.out_of_scope),
            (
                "Hard limits (decline with the reason)",
                [b.description for b in self.routing.boundaries],
            ),
            ("You may decide alone", self.decision_rights.may_decide_alone),
            ("Needs the operator's approval", self.decision_rights.needs_approval),
            ("Escalate when", self.escalation_triggers),
            ("Privacy", self.privacy_rules),
            ("Default outputs", self.default_outputs),
        ]
        for heading, items in sections:
            if items:
                lines.append(f"{heading}:")
                lines.extend(f"- {item}" for item in items)
        kpis = ", ".join(self.status_doc.kpis) or "none set"
        lines.append(f"Status doc KPIs: {kpis}. Headline: {self.headline.format}")
        lines.append(f"Charter version {self.version}.")
        return "\n".join(lines)


class HubSpec(_Strict):
    """The hub file: cross-domain briefs posted to the hub channel."""

    name: str = HUB
    kind: Literal["hub"] = "hub"
    title: str
    version: Version
    briefs: list[BriefSpec] = Field(default_factory=list)
    body: str = ""
    path: Path | None = None


class CharterSet:
    """Every loaded charter by name, plus the hub. `revisions` are the versions' numbers in the
    database (CONTRACT §7.7), which every logged event names; without them, the file's own
    `version` stands in."""

    def __init__(
        self,
        charters: dict[str, Charter],
        hub: HubSpec,
        revisions: dict[str, int] | None = None,
    ) -> None:
        self.charters = dict(sorted(charters.items()))
        self.hub = hub
        self.revisions = dict(revisions or {})

    def revision(self, name: str) -> str | None:
        """What an event of domain `name` records as its charter version."""
        if name in self.revisions:
            return str(self.revisions[name])
        if name == HUB:
            return self.hub.version
        charter = self.charters.get(name)
        return charter.version if charter is not None else None

    def replaced(self, charter: Charter, revision: int) -> CharterSet:
        """This set with one domain's charter swapped (a shadow candidate's view of the world)."""
        return CharterSet(
            {**self.charters, charter.name: charter},
            self.hub,
            {**self.revisions, charter.name: revision},
        )

    def names(self) -> list[str]:
        return list(self.charters)

    def get(self, name: str) -> Charter:
        try:
            return self.charters[name]
        except KeyError:
            raise KeyError(f"unknown domain '{name}'; known: {', '.join(self.names())}") from None

    def all_briefs(self) -> list[BriefSpec]:
        """The hub's briefs first, then each domain's, in name order."""
        briefs = list(self.hub.briefs)
        for charter in self.charters.values():
            briefs.extend(charter.briefs)
        return briefs

    def __contains__(self, name: object) -> bool:
        return name in self.charters

    def __len__(self) -> int:
        return len(self.charters)
