"""Tiered routing: the offline router decides when sure; the model only for the ambiguous rest."""

from __future__ import annotations

from sqlalchemy import select

from domains.agent.stats import consultation_rate
from domains.charter import SHIPPED_DIR, load_charters
from orchestrator.models import InboundEventRow
from orchestrator.router import Router
from tests.agent_support import DM, TRAVEL, agent_chat, events
from tests.inbox_support import buttons

# finance or travel: paying is finance, the trip is travel's, and nothing says which is asked.
# Which candidates the offline router offers is its own business (tests/test_router.py); these
# tests take them from it.
AMBIGUOUS = "my trip expenses"
CANDIDATES = sorted(Router(load_charters(SHIPPED_DIR)).route(AMBIGUOUS).candidates)


def routing_requests(api) -> list[dict]:
    return [r for r in api.requests() if r["tools"][0]["name"] == "choose_domain"]


def domain_of_message(db) -> str | None:
    with db.session() as s:
        return s.scalars(select(InboundEventRow.domain).order_by(InboundEventRow.id)).first()


def test_a_confident_route_never_asks_the_model(db, api):
    c = agent_chat(db)
    c.say("book flights to lisbon for march", channel=DM)
    assert routing_requests(api) == []
    assert len(api.requests()) == 1  # the travel agent's own turn
    assert events(db, "route.consulted") == []
    assert c.posts_in(DM)[0].post.title == "→ travel · copy in #pos-travel"


def test_an_ambiguous_message_is_routed_by_the_model_among_the_candidates(db, api):
    c = agent_chat(db)
    api.tools(("choose_domain", {"domain": "travel"}))
    api.text("I'll keep the expenses with the trip notes.")
    c.say(AMBIGUOUS, channel=DM)
    (ask,) = routing_requests(api)
    listed = ask["messages"][0]["content"].split("\n")[0].removeprefix("Candidates: ")
    assert len(CANDIDATES) >= 2 and "travel" in CANDIDATES
    assert sorted(listed.split(", ")) == CANDIDATES
    assert "travel:" in ask["system"][0]["text"]  # every domain's one-line mission
    assert ask["tools"][0]["input_schema"]["properties"]["domain"]["enum"][-1] == "none"
    assert "asked the model" in c.posts_in(DM)[0].post.text
    mirror, answer = c.posts_in(TRAVEL)
    assert mirror.post.text.endswith(AMBIGUOUS)
    assert c.edits_of(answer)[-1].text == "I'll keep the expenses with the trip notes."
    (consulted,) = events(db, "route.consulted")
    assert consulted.data["valid"] and consulted.domain == "travel"
    assert domain_of_message(db) == "travel"


def test_a_plain_text_answer_naming_a_domain_is_accepted(db, api):
    """Tool use is not forced (some models refuse forced tool use): a bare name will do."""
    c = agent_chat(db)
    api.text("**Finance**")
    c.say(AMBIGUOUS, channel=DM)
    assert routing_requests(api)[0]["tool_choice"] == {"type": "auto"}
    assert domain_of_message(db) == "finance"


def test_a_garbage_answer_falls_back_to_asking_the_user(db, api):
    c = agent_chat(db)
    api.tools(("choose_domain", {"domain": "banana"}))
    c.say(AMBIGUOUS, channel=DM)
    (question,) = c.posts_in(DM)
    assert sorted(b.split(":")[-1] for b in buttons(question.post)) == CANDIDATES
    assert len(api.requests()) == 1 and domain_of_message(db) is None
    assert events(db, "route.consulted")[0].data["valid"] is False


def test_an_unavailable_model_falls_back_to_the_buttons(db, api):
    c = agent_chat(db)
    api.overloaded(3)
    c.say(AMBIGUOUS, channel=DM)
    assert buttons(c.posts_in(DM)[0].post)
    assert c.posts_in(TRAVEL) == []


def test_out_of_scope_is_declined_before_any_model_call(db, api):
    c = agent_chat(db)
    c.say("should I buy tesla stock or put it all in bitcoin?", channel=DM)
    assert api.calls() == []
    assert "can't take this one" in c.posts_in(DM)[0].post.text


def test_the_consultation_rate_is_recorded(db, api):
    c = agent_chat(db)
    c.say("book flights to lisbon for march", channel=DM)
    api.tools(("choose_domain", {"domain": "content"}))
    c.say(AMBIGUOUS, channel=DM)
    with db.session() as s:
        rate = consultation_rate(s)
    assert (rate.decided, rate.consulted, rate.rate) == (2, 1, 0.5)
    assert events(db, "route.consulted")[0].data["month_rate"] == 0.5


def test_routing_uses_the_light_model_and_marks_no_cache_below_its_minimum(db, api):
    """PARALLELOS_LIGHT_MODEL for routing; the agent's own turn keeps PARALLELOS_MODEL."""
    c = agent_chat(db, PARALLELOS_LIGHT_MODEL="claude-haiku-4-5")
    api.tools(("choose_domain", {"domain": "travel"}))
    c.say(AMBIGUOUS, channel=DM)
    (ask,) = routing_requests(api)
    assert ask["model"] == "claude-haiku-4-5"
    assert "cache_control" not in ask["system"][0]  # far below Haiku 4.5's 4096 tokens
    assert api.requests()[-1]["model"] == "claude-sonnet-5-5"


def test_a_whole_system_question_is_answered_by_the_hub_without_the_model(db, api):
    """With a model key, "anything urgent?" is the hub's: no routing turn, no agent turn."""
    c = agent_chat(db)
    c.say("anything urgent?", channel=DM)
    assert api.requests() == []
    assert events(db, "route.consulted") == []
    assert "across the domains" in c.posts_in(DM)[0].post.text
