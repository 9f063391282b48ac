"""A charter's own test cases (`tests:` in its front matter), run offline with the router.

Each case is a message and what must happen to it: a domain's name (routed there, in scope),
`decline` (refused as out of scope) or `unsure` (no domain; the user is asked). The cases run
against a whole set of charters, since where a message goes depends on every domain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from orchestrator.charters import CharterSet, CharterTest
from orchestrator.router import RouteDecision, Router

DECLINE = "decline"
UNSURE = "unsure"


@dataclass(frozen=True)
class CaseResult:
    domain: str  # the charter the case belongs to
    message: str
    expect: str
    got: str
    confidence: float

    @property
    def passed(self) -> bool:
        return self.expect == self.got

    def line(self) -> str:
        mark = "ok  " if self.passed else "FAIL"
        said = f"{self.got} ({self.confidence:.2f})"
        tail = said if self.passed else f"expected {self.expect}, got {said}"
        return f"{mark} {self.domain}: “{self.message}” → {tail}"


def outcome(decision: RouteDecision) -> str:
    """What a routing decision amounts to, in the words a test case expects."""
    if not decision.in_scope:
        return DECLINE
    return decision.domain or UNSURE


def pending(
    charters: CharterSet, names: Iterable[str] | None = None
) -> list[tuple[str, CharterTest]]:
    """The named charters' (default: all) test cases, in order, each with its charter's name."""
    return [
        (name, case)
        for name in (names if names is not None else charters.names())
        for case in charters.get(name).tests
    ]


def run_cases(
    charters: CharterSet, names: Iterable[str] | None = None, *, router: Router | None = None
) -> list[CaseResult]:
    """Every test case of the named charters (default: all), in order. No case, no router: a
    start with no new charter file builds none (nor loads its learned model)."""
    todo = pending(charters, names)
    if not todo:
        return []
    router = router or Router(charters)
    results = []
    for name, case in todo:
        decision = router.route(case.message)
        results.append(
            CaseResult(name, case.message, case.expect, outcome(decision), decision.confidence)
        )
    return results


# Runs the named charters' cases: `run_cases` here, or `apart.run_cases_apart` in a child process.
CaseRunner = Callable[[CharterSet, list[str]], list[CaseResult]]


def failures(results: list[CaseResult]) -> list[CaseResult]:
    return [r for r in results if not r.passed]
