"""Charters: the shipped eight load, broken files stop start-up with one clear line, and a
domain added by dropping a file in is loaded and routable."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from domains.charter import SHIPPED_DIR, CharterError, load_charters
from orchestrator.router import Router

SHIPPED = ["career", "content", "finance", "learning", "legal", "travel", "venture", "wellness"]

GARDEN = """---
name: gardening
title: Garden
mission: Keep the allotment productive through the seasons.
in_scope:
  - Sowing and planting calendar, pruning, compost, watering while away
out_of_scope:
  - Buying land
required_context: [Plot size, soil type]
default_outputs: [Monthly sowing plan]
decision_rights:
  may_decide_alone: [Draft the sowing plan]
  needs_approval: [Buying seeds or tools]
escalation_triggers: [Frost warning with seedlings outside]
privacy_rules: [The allotment address stays in this domain]
briefs:
  - name: sowing_plan
    title: Monthly sowing plan
    cron: "0 8 1 * *"
    timezone: Europe/London
    post_to: gardening
    description: What to sow, plant and prune this month.
version: "0.1.0"
changelog:
  - {version: "0.1.0", date: 2026-02-01, note: First draft.}
routing:
  keywords: [garden, allotment, seeds, sowing, pruning, compost, tomatoes, roses, seedlings, weeding]
  examples:
    - "When should I sow the carrots?"
    - "Make a pruning plan for the apple tree"
---

# Garden

The allotment, season by season.
"""


@pytest.fixture()
def charter_dir(tmp_path: Path) -> Path:
    """A writable copy of the shipped charters."""
    target = tmp_path / "charters"
    shutil.copytree(SHIPPED_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def _error(directory: Path) -> str:
    with pytest.raises(CharterError) as info:
        load_charters(directory)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_shipped_charters_load() -> None:
    """The eight shipped domains load, each named after its file, with a versioned changelog."""
    charters = load_charters(SHIPPED_DIR)
    assert charters.names() == SHIPPED
    for name in SHIPPED:
        charter = charters.get(name)
        assert charter.path.stem == name
        assert re.fullmatch(r"\d+\.\d+\.\d+", charter.version)
        assert charter.version in {entry.version for entry in charter.changelog}
        assert charter.in_scope and charter.out_of_scope and charter.routing.keywords
        assert charter.body.startswith("# ")


def test_hard_boundaries_are_in_the_charters() -> None:
    """Finance, wellness, legal and travel each carry their hard limit."""
    charters = load_charters(SHIPPED_DIR)
    kinds = {n: [b.kind for b in charters.get(n).routing.boundaries] for n in SHIPPED}
    assert kinds["finance"] == ["investment_advice"]
    assert kinds["wellness"] == ["clinical_advice"]
    assert kinds["legal"] == ["legal_opinion"]
    assert kinds["travel"] == ["safety_critical_travel"]


def test_briefs_and_hub() -> None:
    """Hub briefs and domain briefs load with their schedule, destination and owner."""
    charters = load_charters(SHIPPED_DIR)
    briefs = {b.name: b for b in charters.all_briefs()}
    assert charters.hub.name == "hub"
    assert [b.name for b in charters.hub.briefs] == ["weekly", "friday", "daily"]
    assert (briefs["weekly"].cron, briefs["weekly"].post_to) == ("0 8 * * 1", "hub")
    assert briefs["friday"].cron == "0 16 * * 5"
    assert briefs["daily"].cron == "0 7 * * *"
    assert (briefs["finance_review"].owner, briefs["finance_review"].post_to) == ("finance",) * 2
    assert briefs["opportunity_scan"].post_to == "career"
    assert briefs["learning_agenda"].post_to == "learning"
    assert briefs["launch_readiness"].on_demand_only is True
    assert all(b.timezone is None for b in briefs.values())
    assert {b.owner for b in charters.hub.briefs} == {"hub"}


def test_prompt_text_is_compact_and_carries_the_limits() -> None:
    """prompt_text holds the mission, the scope and the hard limit, in a few thousand chars."""
    finance = load_charters(SHIPPED_DIR).get("finance")
    prompt = finance.prompt_text()
    assert finance.mission in prompt
    assert "investment advice" in prompt
    assert "Needs the operator's approval" in prompt
    assert len(prompt) < 6000


@pytest.mark.parametrize(
    ("file", "old", "new", "field"),
    [
        ("travel.md", "title: Travel\n", "title: [unclosed\n", "front matter: invalid YAML"),
        ("travel.md", "mission: Get", "missio: Get", "mission: is required but missing"),
        ("career.md", 'cron: "0 9 * * 3"', 'cron: "0 25 * * 3"', "briefs[0].cron"),
        ("career.md", "post_to: career", "post_to: carrer", "briefs[0].post_to"),
        ("career.md", "timezone: null", "timezone: Mars/Olympus", "briefs[0].timezone"),
        ("legal.md", "name: legal", "name: law", "name:"),
        ("legal.md", 'version: "1.0.0"', 'version: "one"', "version: should look like 1.0.0"),
        (
            "finance.md",
            "approval_expiry_days: 7",
            "approval_expiry_days: 0",
            "approval_expiry_days",
        ),
        ("wellness.md", "privacy_rules:", "privacy_rulez:", "privacy_rules"),
        ("venture.md", "  monthly_usd: 30.0", "  monthly_usd: lots", "budget.monthly_usd"),
        ("finance.md", "{asset}\\b'", "{assets}\\b'", "routing.boundaries[0]"),
        ("legal.md", "'\\b(enforceable|unenforceable)\\b'", "'(unclosed'", "routing.boundaries[0]"),
    ],
)
def test_broken_file_names_file_and_field(
    charter_dir: Path, file: str, old: str, new: str, field: str
) -> None:
    """A broken charter raises CharterError: one line naming the file and the field."""
    _edit(charter_dir / file, old, new)
    message = _error(charter_dir)
    assert message.startswith(f"{charter_dir / file}: ")
    assert field in message


def test_unknown_field_and_missing_front_matter(charter_dir: Path) -> None:
    """A misspelt field is reported as unknown; a file without front matter says so."""
    _edit(charter_dir / "content.md", "budget:", "budgett:")
    assert "budgett: is not a known field" in _error(charter_dir)
    shutil.copy(SHIPPED_DIR / "content.md", charter_dir / "content.md")
    (charter_dir / "notes.md").write_text("# just notes\n")
    assert (
        _error(charter_dir)
        == f"{charter_dir / 'notes.md'}: front matter: should start with '---' and end with '---'"
    )


def test_duplicate_brief_names_are_rejected(charter_dir: Path) -> None:
    """Brief names are unique across the hub and every domain."""
    _edit(charter_dir / "learning.md", "name: learning_agenda", "name: weekly")
    message = _error(charter_dir)
    assert "learning.md: briefs[0].name: 'weekly' is already a brief of hub" in message


def test_hub_brief_post_to_is_checked(charter_dir: Path) -> None:
    """The hub's briefs may only post to the hub or a known domain."""
    _edit(charter_dir / "hub.md", "post_to: hub", "post_to: nowhere")
    assert "hub.md: briefs[0].post_to: unknown destination 'nowhere'" in _error(charter_dir)


def test_empty_or_missing_directory(tmp_path: Path) -> None:
    """No charters at all is an error naming the folder."""
    assert "no charter files" in _error(tmp_path)
    assert "does not exist" in _error(tmp_path / "nope")


def test_new_domain_by_file_is_loaded_and_routable(charter_dir: Path) -> None:
    """Dropping a charter file in the folder adds a domain, its briefs and its routing."""
    (charter_dir / "gardening.md").write_text(GARDEN)
    (charter_dir / "README.md").write_text("Charters live here.\n")
    charters = load_charters(charter_dir)
    assert "gardening" in charters.names() and len(charters) == 9
    brief = next(b for b in charters.all_briefs() if b.name == "sowing_plan")
    assert (brief.owner, brief.post_to, brief.timezone) == (
        "gardening",
        "gardening",
        "Europe/London",
    )
    router = Router(charters)
    assert router.route("the tomato seedlings need pricking out and the roses pruning").domain == (
        "gardening"
    )
    assert router.mentioned_domain("#gardening what now?") == "gardening"
    assert router.route("book flights to Rome").domain == "travel"


def test_minimal_domain_uses_defaults(tmp_path: Path) -> None:
    """Status-doc, headline, budget and routing have sensible defaults; the hub falls back to
    the shipped one when the folder has none."""
    (tmp_path / "gardening.md").write_text(GARDEN)
    charters = load_charters(tmp_path)
    garden = charters.get("gardening")
    assert garden.status_doc.stale_after_days == 7
    assert garden.approval_expiry_days == 7
    assert garden.budget.max_tool_iterations >= 1
    assert [b.name for b in charters.hub.briefs] == ["weekly", "friday", "daily"]
    with pytest.raises(KeyError):
        charters.get("travel")


@pytest.mark.parametrize("name", ["events", "stream"])
def test_a_domain_cannot_take_a_dashboard_page_name(charter_dir: Path, name: str) -> None:
    """`/dashboard/events` and `/dashboard/stream` are the dashboard's own pages: a domain of
    that name would have a page nobody could open, so its charter is refused, in words."""
    (charter_dir / f"{name}.md").write_text(GARDEN.replace("name: gardening", f"name: {name}"))
    message = _error(charter_dir)
    assert message.startswith(f"{charter_dir / f'{name}.md'}: ")
    assert f"'{name}' is reserved for the dashboard's" in message
    assert f"/dashboard/{name}" in message
