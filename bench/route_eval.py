"""Measure the offline router against the evaluation set (tests/data/route_eval.jsonl).

    .venv/bin/python bench/route_eval.py [--domains-dir DIR] [--eval FILE] [--misses]

Prints accuracy per domain, overall accuracy, boundary recall, false declines, look-alikes kept
in scope, and the time per message (mean and p95) and to build the index.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains-dir", type=Path, default=SHIPPED_DIR)
    parser.add_argument("--eval", type=Path, default=EVAL_FILE)
    parser.add_argument("--misses", action="store_true", help="list every wrong decision")
    args = parser.parse_args(argv)
    charters = load_charters(args.domains_dir)
    start = time.perf_counter()
    router = Router(charters)
    build_ms = (time.perf_counter() - start) * 1000  # a fresh router: first-call costs included
    cases = load_cases(args.eval)
    report = evaluate(router, cases)
    report.build_ms = build_ms
    print(f"{len(cases)} messages, {len(charters)} domains from {args.domains_dir}")
    print_report(report, args.misses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
