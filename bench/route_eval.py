"""Measure the offline router against the held-out routing set (tests/data/routing/).

    .venv/bin/python bench/route_eval.py [--split train,dev,test] [--misses SPLIT]
    .venv/bin/python bench/route_eval.py --eval FILE     # the older set (route_eval.jsonl)

Per split (train, dev, test) it prints every goal metric of issue 18: clear accuracy and the
precision where it routed, the rate it asked instead, hard accuracy, boundary recall (by area),
false declines, look-alikes kept in scope, and the time a message. test.jsonl is for the one
held-out measurement of a finished router: never tune on its misses (tests/data/routing/README).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domains.charter import SHIPPED_DIR, load_charters  # noqa: E402
from orchestrator.router import RouteDecision, Router  # noqa: E402

EVAL_FILE = ROOT / "tests" / "data" / "route_eval.jsonl"
SPLITS_DIR = ROOT / "tests" / "data" / "routing"
SPLITS = ("train", "dev", "test")


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    per_domain: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    boundary: list[int] = field(default_factory=lambda: [0, 0])  # declined, total
    boundary_domain: int = 0  # declined and attributed to the expected domain
    in_scope: list[int] = field(default_factory=lambda: [0, 0])  # falsely declined, total
    lookalike: list[int] = field(default_factory=lambda: [0, 0])  # kept in scope, total
    unsure: int = 0
    times_ms: list[float] = field(default_factory=list)
    cpu_ms: float = 0.0  # CPU time per message (less sensitive to a busy machine)
    build_ms: float = 0.0
    misses: list[tuple[dict, RouteDecision]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / max(self.total, 1)

    @property
    def boundary_recall(self) -> float:
        return self.boundary[0] / max(self.boundary[1], 1)

    @property
    def false_decline_rate(self) -> float:
        return self.in_scope[0] / max(self.in_scope[1], 1)


def load_cases(path: Path = EVAL_FILE) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _is_correct(case: dict, decision: RouteDecision) -> bool:
    return decision.domain == case["domain"] and decision.in_scope == case["in_scope"]


def _tally(report: Report, case: dict, decision: RouteDecision) -> None:
    ok = _is_correct(case, decision)
    report.total += 1
    report.correct += ok
    bucket = report.per_domain[case["domain"] or "(none)"]
    bucket[0] += ok
    bucket[1] += 1
    if case["kind"] == "boundary":
        report.boundary[0] += not decision.in_scope
        report.boundary[1] += 1
        report.boundary_domain += (not decision.in_scope) and decision.domain == case["domain"]
    else:
        report.in_scope[0] += not decision.in_scope
        report.in_scope[1] += 1
        report.unsure += (
            decision.in_scope and decision.domain is None and case["domain"] is not None
        )
    if case["kind"] == "lookalike":
        report.lookalike[0] += decision.in_scope
        report.lookalike[1] += 1
    if not ok:
        report.misses.append((case, decision))


def evaluate(router: Router, cases: list[dict]) -> Report:
    """Route every case once, timing each call."""
    report = Report()
    cpu_start = time.process_time()
    for case in cases:
        start = time.perf_counter()
        decision = router.route(case["text"])
        report.times_ms.append((time.perf_counter() - start) * 1000)
        _tally(report, case, decision)
    report.cpu_ms = (time.process_time() - cpu_start) * 1000 / max(len(cases), 1)
    return report


def _pct(num: int, den: int) -> str:
    return f"{num / max(den, 1):6.1%} ({num}/{den})"


def print_report(report: Report, show_misses: bool = False) -> None:
    print("accuracy per expected domain (all kinds):")
    for name, (ok, n) in sorted(report.per_domain.items()):
        print(f"  {name:<10} {_pct(ok, n)}")
    times = sorted(report.times_ms)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"overall accuracy      {_pct(report.correct, report.total)}")
    print(f"boundary recall       {_pct(*report.boundary)}")
    print(f"  ...right domain     {_pct(report.boundary_domain, report.boundary[1])}")
    print(f"false declines        {_pct(*report.in_scope)}")
    print(f"look-alikes in scope  {_pct(*report.lookalike)}")
    print(f"unsure (asked user)   {_pct(report.unsure, report.in_scope[1])}")
    print(f"time per message      mean {statistics.fmean(times):.3f} ms, p95 {p95:.3f} ms (wall)")
    print(f"                      mean {report.cpu_ms:.3f} ms (CPU)")
    print(f"index build           {report.build_ms:.1f} ms")
    if show_misses:
        print("\nmisses:")
        for case, d in report.misses:
            got = (
                f"{d.domain}{'' if d.in_scope else ' (declined)'} {d.confidence:.2f} {d.candidates}"
            )
            print(f"  [{case['kind']}] want {case['domain']}: {case['text']!r} -> {got}")


@dataclass
class SplitReport:
    """The issue-18 figures for one split of tests/data/routing/."""

    name: str
    n: int = 0
    clear: list[int] = field(default_factory=lambda: [0, 0])  # right domain, total
    clear_routed: list[int] = field(default_factory=lambda: [0, 0])  # right, routed somewhere
    clear_asked: int = 0  # no domain, in scope: the user is asked
    hard: list[int] = field(default_factory=lambda: [0, 0])
    boundary: list[int] = field(default_factory=lambda: [0, 0])  # declined, total
    by_area: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    false_declines: list[int] = field(default_factory=lambda: [0, 0])  # declined, not boundary
    lookalike: list[int] = field(default_factory=lambda: [0, 0])  # kept in scope, total
    unsure: int = 0  # in scope, no domain: the user (or, with a model key, the model) is asked
    times_ms: list[float] = field(default_factory=list)
    misses: list[tuple[dict, RouteDecision]] = field(default_factory=list)


def _split_case_ok(case: dict, d: RouteDecision) -> bool:
    if case["decline"]:
        return not d.in_scope
    return d.in_scope and d.domain == case["domain"]


def evaluate_split(router: Router, name: str, cases: list[dict]) -> SplitReport:
    rep = SplitReport(name, len(cases))
    for case in cases:
        start = time.perf_counter()
        d = router.route(case["text"])
        rep.times_ms.append((time.perf_counter() - start) * 1000)
        ok = _split_case_ok(case, d)
        kind = case["kind"]
        rep.unsure += d.in_scope and d.domain is None and not d.hub  # the hub answers those
        if kind == "clear":
            rep.clear[0] += ok
            rep.clear[1] += 1
            if d.in_scope and d.domain is not None:
                rep.clear_routed[0] += ok
                rep.clear_routed[1] += 1
            elif d.in_scope:
                rep.clear_asked += 1
        elif kind == "hard":
            rep.hard[0] += ok
            rep.hard[1] += 1
        if case["decline"]:
            rep.boundary[0] += ok
            rep.boundary[1] += 1
            area = rep.by_area[case["boundary"]]
            area[0] += ok
            area[1] += 1
        else:
            rep.false_declines[0] += not d.in_scope
            rep.false_declines[1] += 1
        if kind == "lookalike":
            rep.lookalike[0] += d.in_scope
            rep.lookalike[1] += 1
        if not ok:
            rep.misses.append((case, d))
    return rep


def print_split(rep: SplitReport, show_misses: bool = False) -> None:
    times = sorted(rep.times_ms) or [0.0]
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    areas = ", ".join(f"{a} {ok}/{n}" for a, (ok, n) in sorted(rep.by_area.items()))
    print(f"== {rep.name} ({rep.n} messages)")
    print(f"  clear, right domain      {_pct(*rep.clear)}   goal >= 90%")
    print(f"  clear, precision routed  {_pct(*rep.clear_routed)}   goal >= 97%")
    print(f"  clear, asked the user    {_pct(rep.clear_asked, rep.clear[1])}")
    print(f"  hard, right owner        {_pct(*rep.hard)}   goal >= 75%")
    print(f"  boundary recall          {_pct(*rep.boundary)}   goal >= 90%  ({areas})")
    print(f"  false declines           {_pct(*rep.false_declines)}   goal <= 2%")
    print(f"  look-alikes in scope     {_pct(*rep.lookalike)}")
    print(f"  unsure (model/user asked){_pct(rep.unsure, rep.n)}")
    print(f"  time a message           mean {statistics.fmean(times):.3f} ms, p95 {p95:.3f} ms")
    if show_misses:
        for case, d in rep.misses:
            got = f"{d.domain}{'' if d.in_scope else ' (declined)'} {d.confidence:.2f}"
            want = "decline" if case["decline"] else case["domain"]
            print(f"    [{case['kind']}] want {want}: {case['text']!r} -> {got} {d.candidates}")


def load_split(name: str, directory: Path = SPLITS_DIR) -> list[dict]:
    return load_cases(directory / f"{name}.jsonl")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains-dir", type=Path, default=SHIPPED_DIR)
    parser.add_argument("--eval", type=Path, default=None, help="an older single-file set")
    parser.add_argument("--split", default=",".join(SPLITS), help="comma-separated splits")
    parser.add_argument("--misses", default="", help="list the wrong decisions of these splits")
    args = parser.parse_args(argv)
    charters = load_charters(args.domains_dir)
    start = time.perf_counter()
    router = Router(charters)
    build_ms = (time.perf_counter() - start) * 1000  # a fresh router: first-call costs included
    if args.eval is not None:
        cases = load_cases(args.eval)
        report = evaluate(router, cases)
        report.build_ms = build_ms
        print(f"{len(cases)} messages, {len(charters)} domains from {args.domains_dir}")
        print_report(report, bool(args.misses))
        return 0
    print(f"{len(charters)} domains from {args.domains_dir}; router built in {build_ms:.1f} ms")
    show = set(args.misses.split(",")) if args.misses else set()
    for name in args.split.split(","):
        print_split(evaluate_split(router, name, load_split(name)), name in show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
