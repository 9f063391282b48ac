"""A domain's profile of durable facts (remember / update_fact / forget, `memory <domain>`),
and a price for every model the installed SDK knows."""

from __future__ import annotations

import typing

import anthropic.types.model as sdk_models

from domains.agent.prices import UNKNOWN, price_for
from tests.agent_support import FINANCE, TRAVEL, agent_chat
from tests.inbox_support import MEMBER


def test_the_agent_keeps_facts_the_operator_sees_and_deletes(db, api):
    c = agent_chat(db)
    api.tools(("remember", {"text": "Prefers aisle seats"}),
              ("remember", {"text": "Home airport is LHR"}))  # fmt: skip
    api.tools(("reply", {"text": "Noted."}))
    c.say("I like aisle seats and fly from Heathrow")
    api.tools(("update_fact", {"n": 2, "text": "Home airport is LGW"}), ("forget", {"n": 1}))
    api.tools(("reply", {"text": "Updated."}))
    c.say("I moved: Gatwick now. And forget the seat thing")
    profile = api.requests()[-2]["messages"][0]["content"][0]["text"]
    assert "1. Prefers aisle seats\n2. Home airport is LHR" in profile
    shown = c.command("memory", "travel")
    assert shown.text == "1. Home airport is LGW"
    assert c.command("memory", "finance").text == "No facts kept yet."


def test_a_fact_stays_in_its_domain(db, api):
    c = agent_chat(db)
    api.tools(("remember", {"text": "Accountant is Dana"}))
    c.say("my accountant is Dana", channel=FINANCE)
    c.say("what's next?", channel=TRAVEL)
    assert "Dana" not in str(api.requests()[-1])


def test_an_operator_deletes_a_fact_by_its_number_and_a_member_cannot(db, api):
    c = agent_chat(db)
    api.tools(("remember", {"text": "Window seat on night flights"}))
    c.say("window seat on night flights")
    c.user = MEMBER
    assert "Only an operator" in c.command("memory", "travel forget 1").text
    c.user = "U1"
    assert c.command("memory", "travel forget 2").text.startswith("The *travel* profile has no")
    assert c.command("memory", "travel forget 1").text.startswith("Forgot *travel* fact 1")
    assert c.command("memory", "travel").text == "No facts kept yet."


def test_a_fact_number_the_profile_does_not_have_is_an_error_result(db, api):
    c = agent_chat(db)
    api.tools(("forget", {"n": 3}))
    api.text("There was nothing to forget.")
    c.say("forget my seat preference")
    (result,) = api.requests()[-1]["messages"][-1]["content"]
    assert result["is_error"] and "no profile fact 3" in result["content"]


def test_every_model_the_sdk_knows_has_a_price_and_an_unknown_one_the_highest():
    known = typing.get_args(typing.get_args(sdk_models.Model)[0])
    assert known and all(price_for(m) is not UNKNOWN for m in known)
    assert price_for("claude-fable-5-2").input == 8.0 and price_for("claude-mythos-5").output == 50
    highest = max(price_for(m).output for m in known)
    assert price_for("claude-next-9").output == highest
