"""Status docs (apply, render, export round trip) and the headline board: pure, no DB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domains import texts
from domains.board import build_board, render_board_markdown, render_board_post
from domains.status_doc import (
    UPDATE_PROTOCOL,
    StatusDoc,
    apply_ops,
    confirmation_text,
    parse_status_markdown,
    render_status_markdown,
    render_status_post,
)
from domains.status_lines import Ask, Propose, parse_status_lines

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
HEADINGS = [
    "Current phase",
    "Active sprint",
    "Latest decision",
    "Top 3 next steps",
    "Blockers",
    "KPIs",
    "Headline",
    "Update protocol",
]


def ops(text: str):
    parsed = parse_status_lines(text, ["travel", "finance"])
    assert parsed.ok, parsed.errors
    return parsed.ops


def apply(doc: StatusDoc, text: str):
    return apply_ops(doc, ops(text), actor="slack:U1", at=AT)


def full_doc() -> StatusDoc:
    doc, _ = apply(
        StatusDoc(domain="travel"),
        "Phase: Planning\nSprint: Book by Friday\nDecision: Fly via Lisbon\n"
        "Next: book hotel; renew passport; buy insurance\nBlocker: visa pending\n"
        "Blocker: card limit\nKPI budget: $2k\nKPI nights: 6\nHeadline: yellow waiting on visa",
    )
    return doc


# --- apply_ops ----------------------------------------------------------------------------


def test_apply_reports_every_change() -> None:
    doc, changes = apply(
        StatusDoc(domain="travel"), "Phase: Planning\nNext: a; b; c\nKPI budget: $2k"
    )
    assert doc.phase == "Planning" and doc.next_steps == ["a", "b", "c"]
    assert doc.kpis == {"budget": "$2k"}
    assert [(c.field, c.old, c.new) for c in changes] == [
        ("phase", "—", "Planning"),
        ("next_steps", "—", "a; b; c"),
        ("kpi:budget", "—", "$2k"),
    ]
    assert confirmation_text(changes, "travel") == (
        "Updated travel: phase → Planning; next steps → 3 items; KPI budget: — → $2k"
    )
    assert doc.updated_at == AT and doc.updated_by == "slack:U1"


def test_apply_is_pure() -> None:
    before = full_doc()
    snapshot = before.model_copy(deep=True)
    apply(before, "Phase: Done\nBlocker: none\nKPI budget: $3k\nNext: x")
    assert before == snapshot


def test_same_values_make_no_changes() -> None:
    doc = full_doc()
    again, changes = apply_ops(
        doc,
        ops(
            "Phase: Planning\nNext: book hotel; renew passport; buy insurance\n"
            "Blocker: Visa pending\nKPI BUDGET: $2k\nHeadline: yellow waiting on visa"
        ),
        actor="telegram:42",
        at=AT + timedelta(days=1),
    )
    assert changes == []
    assert confirmation_text(changes, "travel") == (
        "Nothing changed — the travel status doc already says that."
    )
    assert again.model_dump(exclude={"updated_at", "updated_by"}) == doc.model_dump(
        exclude={"updated_at", "updated_by"}
    )
    # re-confirming counts as an update, so the board does not call it stale
    assert again.updated_at == AT + timedelta(days=1) and again.updated_by == "telegram:42"


def test_blockers_add_and_clear() -> None:
    doc, changes = apply(full_doc(), "Blocker: none\nBlocker: none\nBlocker: new one")
    assert doc.blockers == ["new one"]
    assert [c.summary for c in changes] == ["blockers cleared (2)", "blocker added: new one"]
    assert changes[0].old == "visa pending; card limit" and changes[0].new == "—"


def test_kpi_update_keeps_order_and_first_spelling() -> None:
    doc, changes = apply(full_doc(), "KPI Budget: $3k\nKPI visas: 1")
    assert list(doc.kpis.items()) == [("budget", "$3k"), ("nights", "6"), ("visas", "1")]
    assert [c.summary for c in changes] == ["KPI budget: $2k → $3k", "KPI visas: — → 1"]


def test_next_none_and_headline_change() -> None:
    doc, changes = apply(full_doc(), "Next: none\nHeadline: green visa arrived")
    assert doc.next_steps == [] and doc.headline_color == "green"
    assert [(c.field, c.summary) for c in changes] == [
        ("next_steps", "next steps cleared"),
        ("headline", "headline → 🟢 green — visa arrived"),
    ]
    assert changes[1].old == "🟡 yellow — waiting on visa"


def test_ask_and_propose_are_left_to_the_caller() -> None:
    doc = full_doc()
    same, changes = apply_ops(
        doc, [Ask(to_domain="finance", text="x"), Propose(action="y")], actor="a", at=AT
    )
    assert changes == [] and same == doc


# --- rendering ----------------------------------------------------------------------------


def test_post_has_stable_headings_in_order() -> None:
    post = render_status_post(full_doc(), "Travel", "Send status lines.")
    assert [s.label for s in post.sections] == HEADINGS
    values = {s.label: s.value for s in post.sections}
    assert values["Top 3 next steps"] == "1. book hotel\n2. renew passport\n3. buy insurance"
    assert values["Blockers"] == "- visa pending\n- card limit"
    assert values["KPIs"] == "- budget: $2k\n- nights: 6"
    assert values["Headline"] == "🟡 yellow — waiting on visa"
    assert values["Update protocol"] == "Send status lines."
    assert post.title == "Travel — status"
    assert post.context == "Updated 2026-03-02 09:30 UTC by slack:U1"


def test_empty_doc_shows_dashes_and_default_protocol() -> None:
    post = render_status_post(StatusDoc(domain="legal"), "Legal admin")
    values = [s.value for s in post.sections]
    assert values[:7] == ["—"] * 7
    assert values[7] == UPDATE_PROTOCOL.strip()
    assert post.context == "Not updated yet"


def test_markdown_has_headings_in_order() -> None:
    md = render_status_markdown(full_doc(), "Travel")
    positions = [md.index(f"\n## {h}\n") for h in HEADINGS]
    assert positions == sorted(positions)
    assert md.count("\n## ") == len(HEADINGS)


@pytest.mark.parametrize(
    "doc",
    [
        StatusDoc(domain="legal"),
        StatusDoc(domain="wellness", headline_text="no colour yet"),
        StatusDoc(
            domain="finance",
            phase="Tax season: collect forms",
            decision="Use the *same* accountant — R&D <ok>",
            next_steps=["one"],
            kpis={"forms in": "3/7", "ratio": "1: 2"},
            headline_color="red",
            headline_text="late — 2 forms missing",
            updated_by="telegram:4567",
            updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        ),
    ],
)
def test_markdown_round_trip(doc: StatusDoc) -> None:
    assert parse_status_markdown(render_status_markdown(doc, "Any")) == doc


def test_markdown_round_trip_full() -> None:
    doc = full_doc()
    assert parse_status_markdown(render_status_markdown(doc, "Travel", "custom")) == doc


def test_doc_keeps_items_on_one_line() -> None:
    doc = StatusDoc(domain="x", blockers=["two\nlines"], kpis={" a  b ": "1\n2"})
    assert doc.blockers == ["two lines"] and doc.kpis == {"a b": "1 2"}
    with pytest.raises(ValueError, match="KPI names"):
        StatusDoc(domain="x", kpis={"a: b": "1"})


def test_parse_markdown_rejects_other_files() -> None:
    with pytest.raises(ValueError, match="domain"):
        parse_status_markdown("# Just notes\n\n## Current phase\n\nx\n")


# --- the board ----------------------------------------------------------------------------

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TITLES = {"career": "Career", "travel": "Travel", "finance": "Finance admin"}


def doc_at(domain: str, days_ago: float, **fields) -> StatusDoc:
    return StatusDoc(domain=domain, updated_at=NOW - timedelta(days=days_ago), **fields)


def test_board_rows_and_staleness() -> None:
    docs = {
        "travel": doc_at(
            "travel", 7, headline_color="yellow", headline_text="visa", next_steps=["a", "b"]
        ),
        "finance": doc_at("finance", 6.9, headline_color="green", headline_text="ok"),
        "career": None,
    }
    rows = build_board(docs, TITLES, now=NOW)
    assert [r.domain for r in rows] == ["career", "travel", "finance"]
    by = {r.domain: r for r in rows}
    assert by["travel"].stale and by["travel"].next_action == "a" and by["travel"].age_days == 7
    assert not by["finance"].stale and by["finance"].title == "Finance admin"
    assert not by["career"].stale and by["career"].headline_color is None


def test_board_stale_after_per_domain() -> None:
    docs = {"travel": doc_at("travel", 2), "finance": doc_at("finance", 2)}
    rows = build_board(docs, TITLES, now=NOW, stale_after_days={"travel": 1})
    assert {r.domain: r.stale for r in rows} == {"career": False, "travel": True, "finance": False}
    assert all(r.stale for r in build_board(docs, TITLES, now=NOW, stale_after_days=2)[1:])


def test_board_naive_times_and_extra_docs() -> None:
    naive = StatusDoc(domain="hobby", updated_at=datetime(2026, 3, 1), updated_by="local:me")
    rows = build_board({"hobby": naive}, {}, now=NOW)
    assert rows[0].title == "Hobby" and rows[0].stale and rows[0].owner == "local:me"
    owned = build_board({"hobby": naive}, {}, now=NOW, owners={"hobby": "Ana"})
    assert owned[0].owner == "Ana"


def test_board_post_and_markdown() -> None:
    docs = {
        "travel": doc_at("travel", 9, headline_color="red", headline_text="a|b", next_steps=["x"]),
        "finance": doc_at("finance", 0, headline_color="green", headline_text="fine"),
    }
    rows = build_board(docs, TITLES, now=NOW)
    post = render_board_post(rows)
    assert post.title == texts.BOARD_TITLE
    assert post.text == "Headline board: 🟢 1 · 🔴 1 · ⚪ 1 · 1 stale"
    assert [s.label for s in post.sections] == ["⚪ Career", "🔴 Travel", "🟢 Finance admin"]
    assert post.sections[1].value == "a|b\nNext: x · updated 9d ago · ⚠️ stale"
    assert post.sections[0].value == "—\nNext: — · never updated"
    md = render_board_markdown(rows)
    assert "| 🔴 | Travel (`travel`) | a\\|b | x | — | 2026-03-01 12:00 UTC | stale |" in md


def test_empty_board() -> None:
    post = render_board_post([])
    assert post.sections == [] and post.context == texts.NO_BOARD_ROWS
