"""Issue 18: the licensed-judgement decision on its own, the ownership rules for two-domain
messages, and the per-split evaluation on tests/data/routing (train and dev only: test.jsonl is
for the one held-out measurement)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from domains.charter import SHIPPED_DIR, load_charters
from orchestrator import boundary
from orchestrator.router import Router

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(load_charters(SHIPPED_DIR))


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("my knee swells up after every long run. should I be worried?", "clinical"),
        ("can I take melatonin with my antidepressant?", "clinical"),
        ("the startup I mentor offered me a 5k allocation. in or pass?", "investment"),
        ("sell the index fund now or keep it through the dip?", "investment"),
        ("would a court enforce the exclusivity clause against me?", "legal"),
        ("if the client never paid, can I sue them for the full fee?", "legal"),
        ("tornado warning for Tulsa tonight — still drive there or wait?", "safety"),
        ("big swell and rip currents today. ok to swim out to the buoy?", "safety"),
    ],
)
def test_a_licensed_judgement_is_declined(router: Router, text: str, area: str) -> None:
    finding = boundary.detect(text.lower())
    assert finding is not None and finding.area == area, text
    decision = router.route(text)
    assert not decision.in_scope and decision.reason, decision


def test_the_boundary_does_not_depend_on_the_domain(router: Router) -> None:
    """The same clinical question declines whether it reads as travel, career or wellness."""
    for text in (
        "flying to Lima next week and my ears still hurt from the last flight. is it safe to fly?",
        "the offsite is Monday and I've had a fever for four days. is that serious?",
        "my resting heart rate jumped to 95 this week. is that normal?",
    ):
        assert not router.route(text).in_scope, text


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("book a physical with my GP for next month", "wellness"),
        ("gather the brokerage 1099s for the accountant", "finance"),
        ("when does the NDA with Acme expire?", "legal"),
        ("what's my portfolio worth today, just the number", "finance"),
        ("phone number for Dr. Patel's office?", "wellness"),
    ],
)
def test_lookalikes_stay_in_scope(router: Router, text: str, domain: str) -> None:
    decision = router.route(text)
    assert decision.in_scope and decision.domain == domain, decision


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("book the hotel and flights for the investor roadshow in Boston", "travel"),
        ("get a refund for the gym membership I cancelled", "finance"),
        ("send the speaking agreement for the Berlin conference out for signature", "legal"),
        ("write the blog post announcing our seed round", "content"),
    ],
)
def test_the_owner_of_the_action_gets_a_two_domain_message(
    router: Router, text: str, domain: str
) -> None:
    decision = router.route(text)
    assert decision.domain == domain and decision.in_scope, decision


def _bench():
    spec = importlib.util.spec_from_file_location("route_eval", ROOT / "bench" / "route_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("route_eval", module)
    spec.loader.exec_module(module)
    return module


def test_the_tuning_splits_stay_above_their_floors(router: Router) -> None:
    """A regression floor on train + dev (the splits the router was tuned on)."""
    bench = _bench()
    cases = bench.load_split("train") + bench.load_split("dev")
    rep = bench.evaluate_split(router, "train+dev", cases)
    assert rep.n == 720
    assert rep.clear[0] / rep.clear[1] >= 0.9, rep.clear
    assert rep.hard[0] / rep.hard[1] >= 0.7, rep.hard
    assert rep.boundary[0] / rep.boundary[1] >= 0.88, rep.boundary
    assert rep.false_declines[0] / rep.false_declines[1] <= 0.02, rep.false_declines
