"""The status-line grammar of CONTRACT §7.2: every form, every error, and what stays free text."""

from __future__ import annotations

import pytest

from domains.status_lines import (
    MAX_PARSED_LINES,
    AddBlocker,
    Ask,
    ClearBlockers,
    ParsedLines,
    Propose,
    SetDecision,
    SetHeadline,
    SetKPI,
    SetNext,
    SetPhase,
    SetSprint,
    deferred_ops,
    parse_status_lines,
    refusal_text,
)

DOMAINS = ["career", "venture", "finance", "travel", "wellness", "learning", "content", "legal"]


def parse(text: str) -> ParsedLines:
    return parse_status_lines(text, DOMAINS)


def one_op(text: str):
    parsed = parse(text)
    assert parsed.errors == [], parsed.errors
    assert len(parsed.ops) == 1, parsed.ops
    return parsed.ops[0]


def one_error(text: str) -> str:
    parsed = parse(text)
    assert len(parsed.errors) == 1, parsed
    return parsed.errors[0].hint


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Phase: Planning", SetPhase(text="Planning")),
        ("Sprint: Book flights by Friday", SetSprint(text="Book flights by Friday")),
        ("Decision: Fly via Lisbon", SetDecision(text="Fly via Lisbon")),
        ("Next: a; b; c", SetNext(steps=["a", "b", "c"])),
        ("Next: only one", SetNext(steps=["only one"])),
        ("Next: a;; b ;", SetNext(steps=["a", "b"])),
        ("Next: none", SetNext(steps=[])),
        ("Next steps: a; b", SetNext(steps=["a", "b"])),
        ("Blocker: waiting on visa", AddBlocker(text="waiting on visa")),
        ("Blocker: none", ClearBlockers()),
        ("Blockers: None", ClearBlockers()),
        ("KPI budget: $2k", SetKPI(name="budget", value="$2k")),
        ("KPI weekly  active users: 120", SetKPI(name="weekly active users", value="120")),
        ("Headline: yellow waiting on visa", SetHeadline(color="yellow", text="waiting on visa")),
        ("Headline: green — all booked", SetHeadline(color="green", text="all booked")),
        ("Headline: RED, flight cancelled", SetHeadline(color="red", text="flight cancelled")),
        ("Headline: 🟡 waiting on visa", SetHeadline(color="yellow", text="waiting on visa")),
        ("Ask finance: approve budget", Ask(to_domain="finance", text="approve budget")),
        (
            "Ask finance high: approve budget",
            Ask(to_domain="finance", priority="high", text="approve budget"),
        ),
        ("Ask legal low: NDA?", Ask(to_domain="legal", priority="low", text="NDA?")),
        ("Propose: book the 9:40 flight", Propose(action="book the 9:40 flight")),
    ],
)
def test_every_form(line: str, expected: object) -> None:
    assert one_op(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "PHASE: Planning",
        "phase: Planning",
        "pHaSe:Planning",
        "Phase :  Planning  ",
        "- Phase: Planning",
        "* Phase: Planning",
        "• Phase: Planning",
        "  •Phase: Planning",
        "1. Phase: Planning",
        "> Phase: Planning",
        "&gt; Phase: Planning",
        "*Phase:* Planning",
        "*Phase*: Planning",
        "**Phase:** Planning",
        "_Phase_: Planning",
        "*Phase: Planning*",
        "- *Phase:* Planning",
    ],
)
def test_tolerated_spellings(line: str) -> None:
    assert one_op(line) == SetPhase(text="Planning")


def test_keys_and_values_case() -> None:
    assert one_op("kpi MRR: 5k") == SetKPI(name="MRR", value="5k")
    assert one_op("ASK Finance HIGH: x") == Ask(to_domain="finance", priority="high", text="x")
    assert one_op("HEADLINE: Green Fine") == SetHeadline(color="green", text="Fine")


def test_slack_escaping_in_values() -> None:
    assert one_op("Decision: R&amp;D first, budget &lt; 2k") == SetDecision(
        text="R&D first, budget < 2k"
    )
    assert one_op("Ask <#C0123|pos-finance> high: budget?") == Ask(
        to_domain="finance", priority="high", text="budget?"
    )
    assert one_op("Ask #finance: x").to_domain == "finance"


def test_several_lines_in_order_with_free_text() -> None:
    parsed = parse(
        "Morning! Quick update.\n"
        "- Phase: Planning\n"
        "• KPI mrr: 5k\n"
        "\n"
        "The phase: is weird\n"
        "Next week: we fly\n"
        "Blocker: none\n"
        "Blocker: passport expired\n"
        "thanks"
    )
    assert parsed.ok
    assert parsed.ops == [
        SetPhase(text="Planning"),
        SetKPI(name="mrr", value="5k"),
        ClearBlockers(),
        AddBlocker(text="passport expired"),
    ]
    assert parsed.other_text == (
        "Morning! Quick update.\n\nThe phase: is weird\nNext week: we fly\nthanks"
    )


@pytest.mark.parametrize(
    "line",
    [
        "The phase: is weird",
        "Phase 2: done",
        "Phases: many",
        "Status: fine",
        "Ask about the visa: when?",
        "Headline purple no colon",
        "see https://example.com/phase",
        "Next week: lunch",
        "KPIs: fine",
        "",
    ],
)
def test_free_text(line: str) -> None:
    parsed = parse(line)
    assert parsed.ops == [] and parsed.errors == []
    assert parsed.other_text == line.strip()


def test_code_fences_are_free_text() -> None:
    parsed = parse("Look:\n```\nPhase: inside code\n```\nPhase: outside")
    assert parsed.ops == [SetPhase(text="outside")]
    assert "Phase: inside code" in parsed.other_text


def test_no_status_lines_at_all() -> None:
    parsed = parse("can you find me a cheaper flight to Lisbon?")
    assert parsed == ParsedLines(other_text="can you find me a cheaper flight to Lisbon?")


@pytest.mark.parametrize(
    ("line", "hint_part"),
    [
        ("Phase:", "Phase needs a value — e.g. `Phase: Planning`"),
        ("Sprint:   ", "Sprint needs a value"),
        ("Decision:", "Decision needs a value"),
        ("Propose:", "Propose needs a value"),
        ("Blocker:", "Blocker needs a value"),
        ("Next:", "Next needs a value"),
        ("Next: ;  ;", "Next needs a value"),
        ("Next: a; b; c; d", "at most 3 steps"),
        ("KPI mrr:", "KPI needs a value"),
        ("KPI: 5k", "KPI needs a name"),
        ("Headline:", "Headline needs a value"),
        (
            "Headline: purple everything is fine",
            "Headline colour must be green, yellow or red — e.g. `Headline: yellow waiting on visa`",
        ),
        ("Headline: amber", "Headline colour must be green, yellow or red"),
        ("Headline: green", "Headline needs a few words after the colour"),
        (
            "Ask narnia: open the wardrobe",
            "narnia is not a domain; domains are: career, content, finance",
        ),
        ("Ask: anyone?", "Ask needs a domain"),
        ("Ask finance urgent: pay", "Priority must be high, normal or low (not urgent)"),
        ("Ask finance high:", "Ask needs a value"),
        ("Phase: " + "x" * 501, "Phase is too long (501 characters)"),
        ("KPI " + "n" * 61 + ": 1", "KPI name is too long"),
    ],
)
def test_every_error_has_a_hint(line: str, hint_part: str) -> None:
    assert hint_part in one_error(line)


def test_error_reports_line_number_and_line() -> None:
    parsed = parse("hello\nPhase: Planning\n  - Headline: purple bad\nNext: a")
    assert [(e.line_no, e.line) for e in parsed.errors] == [(3, "- Headline: purple bad")]
    assert not parsed.ok
    # ops are still reported, but the caller must refuse the whole message
    assert len(parsed.ops) == 2


def test_only_the_first_lines_are_read_and_the_rest_is_kept_as_free_text() -> None:
    """90,000 `Blocker:` lines (about 1 MB) are not 90,000 blockers: only the first
    MAX_PARSED_LINES lines are status lines, and every later line is handed back whole."""
    parsed = parse("Blocker: b\n" * 90_000)
    assert parsed.ok and parsed.ops == [AddBlocker(text="b")] * MAX_PARSED_LINES
    assert parsed.other_text.splitlines() == ["Blocker: b"] * (90_000 - MAX_PARSED_LINES)


def test_an_error_quotes_a_long_line_shortened() -> None:
    """A 40,000-character wrong line is named in the refusal, not echoed back whole."""
    parsed = parse("Phase: " + "x" * 40_000)
    assert parsed.errors[0].line.startswith("Phase: xxx") and len(parsed.errors[0].line) <= 200
    assert len(refusal_text(parsed.errors)) < 400


def test_refusal_text_names_each_line() -> None:
    parsed = parse("Headline: purple x\nAsk narnia: y")
    reply = refusal_text(parsed.errors)
    assert reply.startswith("Nothing was changed — fix these lines")
    assert "line 1: `Headline: purple x`" in reply
    assert "line 2: `Ask narnia: y` — narnia is not a domain" in reply


def test_deferred_ops_are_asks_and_proposals() -> None:
    parsed = parse("Phase: x\nAsk finance: y\nPropose: z")
    assert deferred_ops(parsed.ops) == [Ask(to_domain="finance", text="y"), Propose(action="z")]


def test_ops_round_trip_as_json() -> None:
    parsed = parse("Next: a; b\nHeadline: red late\nAsk legal high: NDA\nBlocker: none")
    assert ParsedLines.model_validate_json(parsed.model_dump_json()) == parsed


def test_unknown_domain_list_uses_given_domains() -> None:
    parsed = parse_status_lines("Ask travel: x", ["career", "Finance"])
    assert parsed.errors[0].hint == "travel is not a domain; domains are: career, Finance"
    assert parse_status_lines("Ask finance: x", ["career", "Finance"]).ops[0].to_domain == (
        "Finance"
    )
