"""Measure the offline router against a labelled routing set (tests/data/routing2/ or routing/).

    .venv/bin/python bench/route_eval.py [--set routing2] [--split train,dev] [--misses SPLIT]
    .venv/bin/python bench/route_eval.py --set routing8 --split test   # the one held-out run
    .venv/bin/python bench/route_eval.py --kfold [K]     # re-train per fold on the training pool
    .venv/bin/python bench/route_eval.py --eval FILE     # the older set (route_eval.jsonl)

Per split (train, dev, test) it prints every goal metric of issue 18: clear accuracy and the
precision where it routed, the rate it asked instead, hard accuracy, boundary recall (by area),
false declines, look-alikes kept in scope, and the time a message. test.jsonl is for the one
held-out measurement of a finished router: never tune on its misses (tests/data/routing/README).

`--kfold K` (K = 5 when given without a number) splits the learned model's training pool
(`scripts/build_route_model.py` TRAIN_FILES, stratified by kind and domain or area) into K folds;
per fold it trains on the others, chooses the thresholds by an inner K-fold on those only
(`--fixed-thresholds`: use the shipped ones), and routes the fold. It needs scikit-learn (dev).
routing/ to routing7/ and routing8's train and dev are that pool now, and routing6x/ to
routing8x/ (written only to train) train every fold without being measured: their figures are
fitted, not estimates. routing8/test.jsonl is the one held-out split.

`--leave-out SET [--share S]` trains without a spent SET (or on a share S of the rest, for a
learning curve) and routes all of it: the proxy that round 7 was chosen on (docs/benchmarks.md).
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

sys.path.insert(0, str(ROOT / "scripts"))

from domains.charter import SHIPPED_DIR, load_charters  # noqa: E402
from orchestrator import route_model  # noqa: E402
from orchestrator.charters import CharterSet  # noqa: E402
from orchestrator.route_model import RouteModel  # noqa: E402
from orchestrator.router import RouteDecision, Router, Thresholds, decide  # noqa: E402

EVAL_FILE = ROOT / "tests" / "data" / "route_eval.jsonl"
SETS_DIR = ROOT / "tests" / "data"
SPLITS_DIR = SETS_DIR / "routing"
DEFAULT_SET = "routing2" if (SETS_DIR / "routing2" / "train.jsonl").exists() else "routing"
SPLITS = ("train", "dev", "test")
# Sets wholly in the learned model's training pool (their test splits are spent); the held-out
# set's train and dev train too, its test split is the held-out one.
TRAINED_SETS = (
    "routing",
    "routing2",
    "routing3",
    "routing4",
    "routing5",
    "routing6",
    "routing6x",
    "routing7",
    "routing7x",
    "routing8x",
)
HELD_OUT = "routing8"


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
    cpu_ms: list[float] = field(default_factory=list)  # CPU time a message (a busy machine)
    misses: list[tuple[dict, RouteDecision]] = field(default_factory=list)


def _split_case_ok(case: dict, d: RouteDecision) -> bool:
    if case["decline"]:
        return not d.in_scope
    return d.in_scope and d.domain == case["domain"]


def evaluate_split(router: Router, name: str, cases: list[dict]) -> SplitReport:
    rep = SplitReport(name, len(cases))
    for case in cases:
        start, cpu = time.perf_counter(), time.process_time()
        d = router.route(case["text"])
        rep.cpu_ms.append((time.process_time() - cpu) * 1000)
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
    print(f"  time a message           mean {statistics.fmean(times):.3f} ms, p95 {p95:.3f} ms"
          f" (wall); mean {statistics.fmean(rep.cpu_ms or [0.0]):.3f} ms (CPU)")  # fmt: skip
    if show_misses:
        for case, d in rep.misses:
            got = f"{d.domain}{'' if d.in_scope else ' (declined)'} {d.confidence:.2f}"
            want = "decline" if case["decline"] else case["domain"]
            print(f"    [{case['kind']}] want {want}: {case['text']!r} -> {got} {d.candidates}")


def load_split(name: str, directory: Path = SPLITS_DIR) -> list[dict]:
    return load_cases(directory / f"{name}.jsonl")


def _frac(pair: list[int]) -> float:
    return pair[0] / max(pair[1], 1)


_KFOLD_COLUMNS = ("clear", "precision", "asked", "hard", "boundary", "false decl",
                  "look-alike", "unsure", "CPU ms/msg")  # fmt: skip


def _kfold_row(rep: SplitReport) -> list[float]:
    return [
        _frac(rep.clear),
        _frac(rep.clear_routed),
        rep.clear_asked / max(rep.clear[1], 1),
        _frac(rep.hard),
        _frac(rep.boundary),
        _frac(rep.false_declines),
        _frac(rep.lookalike),
        rep.unsure / max(rep.n, 1),
        statistics.fmean(rep.cpu_ms or [0.0]),
    ]


def kfold(
    charters: CharterSet, k: int, fixed: bool, show_misses: bool = False
) -> list[SplitReport]:
    """Per fold: train on the others, choose the thresholds on them (inner k-fold), route it."""
    import build_route_model as build  # scripts/: needs scikit-learn, a dev dependency

    rows = build.load_rows()
    print(f"k-fold: {k} folds over {len(rows)} messages of the training pool "
          f"({', '.join(p.relative_to(ROOT).as_posix() for p in build.TRAIN_FILES if p.exists())})"
          f"; thresholds {'as shipped' if fixed else 'chosen per fold, inner k-fold'}")  # fmt: skip
    shipped = Router(charters).thresholds
    extra = build.load_rows(build.TRAIN_EXTRA)  # rows that only train, never measured
    reports: list[SplitReport] = []
    # The rows of routing/test.jsonl: the charters' vocabulary was written from the misses of
    # routing/train and dev, never from these, so the naive Bayes is not fitted to them.
    old = {c["text"] for c in load_split("test")} if (SPLITS_DIR / "test.jsonl").exists() else set()
    subsets: list[SplitReport] = []
    untuned = SplitReport(
        "all folds pooled, rows of routing/test.jsonl only (charters not tuned on them)"
    )
    print("  fold  " + "  ".join(f"{c:>10}" for c in _KFOLD_COLUMNS))
    for i, (train, test) in enumerate(build.folds(rows, k), 1):
        pool = [rows[j] for j in train]
        th = shipped if fixed else build.choose_thresholds(build.out_of_fold(pool, k))[0]
        router = Router(charters, model=RouteModel(build.fit(pool + extra, th)))
        rep = evaluate_split(router, f"fold {i}", [rows[j] for j in test])
        reports.append(rep)
        subsets.append(
            evaluate_split(router, "", [rows[j] for j in test if rows[j]["text"] in old])
        )
        cells = _kfold_row(rep)
        print(f"  {i:>4}  " + "  ".join(f"{v:>10.1%}" for v in cells[:-1]) + f"  {cells[-1]:>10.3f}"
              + f"   (th {th.boundary:.2f}/{th.confidence:.2f}/{th.margin:.2f})")  # fmt: skip
    mean = [statistics.fmean(col) for col in zip(*map(_kfold_row, reports), strict=True)]
    print("  mean  " + "  ".join(f"{v:>10.1%}" for v in mean[:-1]) + f"  {mean[-1]:>10.3f}")
    pooled = SplitReport("all folds pooled")
    for rep in reports:
        _merge(pooled, rep)
    print_split(pooled, show_misses)
    for rep in subsets:
        _merge(untuned, rep)
    if untuned.n:
        print_split(untuned, show_misses)
    return reports


class _Decided:
    """A router stand-in that returns decisions already made (the fast k-fold)."""

    def __init__(self, decisions: dict[str, RouteDecision]) -> None:
        self.decisions = decisions

    def route(self, text: str) -> RouteDecision:
        return self.decisions[text]


def fast_kfold(k: int, show_misses: bool = False) -> SplitReport:
    """One out-of-fold pass (a model per fold), thresholds chosen on those same signals: a
    quick, slightly optimistic comparison of two builds on the same folds (no inner k-fold)."""
    import build_route_model as build  # scripts/: needs scikit-learn, a dev dependency

    rows = build.load_rows()
    print(f"fast k-fold: {k} folds over {len(rows)} messages; thresholds chosen on the pooled "
          "out-of-fold signals")  # fmt: skip
    oof = build.out_of_fold(rows, k)
    th = build.choose_thresholds(oof)[0]
    print(f"  thresholds {_thresholds(th)}")
    decided = {f.row["text"]: decide(f.signals, th) for f in oof}
    rep = evaluate_split(_Decided(decided), "fast k-fold, pooled", [f.row for f in oof])  # type: ignore[arg-type]
    print_split(rep, show_misses)
    return rep


def _thresholds(th: Thresholds) -> str:
    """The chosen thresholds, as `name value` pairs ("never" above 1)."""
    return ", ".join(
        f"{k} {'never' if v > 1 else f'{v:.2f}'}" for k, v in th.as_dict().items() if k != "weight"
    )


def leave_out(charters: CharterSet, name: str, k: int, share: float = 1.0) -> SplitReport:
    """Train on the pool without set `name` (TRAIN_EXTRA still trains; with `share` < 1 a seeded
    random share of what is left), choose the thresholds out of fold on that, and route every
    message of `name`: how the router does on writers it never saw. Only for a spent set: the
    held-out split must not be read this way."""
    import random

    import build_route_model as build  # scripts/: needs scikit-learn, a dev dependency

    if name == HELD_OUT:
        raise SystemExit(f"{name} holds the held-out split: use --split test once, not this")
    files = [p for p in build.TRAIN_FILES if p.parent.name != name]
    rows = build.load_rows(files)
    if share < 1.0:
        rng = random.Random(build.SEED)
        rows = [r for r in rows if rng.random() < share]
    print(f"left out: {name}; trained on {len(rows)} messages of the pool (share {share:.0%}) "
          "+ TRAIN_EXTRA; thresholds chosen out of fold on those")  # fmt: skip
    th = build.choose_thresholds(build.out_of_fold(rows, k))[0]
    print(f"  thresholds {_thresholds(th)}")
    model = RouteModel(build.fit(rows + build.load_rows(build.TRAIN_EXTRA), th))
    rep = evaluate_split(
        Router(charters, model=model), f"{name}, all", load_split("all", SETS_DIR / name)
    )
    print_split(rep)
    return rep


def _merge(into: SplitReport, rep: SplitReport) -> None:
    into.n += rep.n
    for name in ("clear", "clear_routed", "hard", "boundary", "false_declines", "lookalike"):
        mine, theirs = getattr(into, name), getattr(rep, name)
        mine[0] += theirs[0]
        mine[1] += theirs[1]
    for area, (ok, n) in rep.by_area.items():
        into.by_area[area][0] += ok
        into.by_area[area][1] += n
    into.clear_asked += rep.clear_asked
    into.unsure += rep.unsure
    into.times_ms.extend(rep.times_ms)
    into.cpu_ms.extend(rep.cpu_ms)
    into.misses.extend(rep.misses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains-dir", type=Path, default=SHIPPED_DIR)
    parser.add_argument("--eval", type=Path, default=None, help="an older single-file set")
    parser.add_argument(
        "--set",
        default=DEFAULT_SET,
        help="routing6 (held out: --split test), routing6x, routing5 ... routing2 (default), routing",
    )
    parser.add_argument("--split", default="", help="comma-separated splits (default: train,dev)")
    parser.add_argument("--misses", default="", help="list the wrong decisions of these splits")
    parser.add_argument("--kfold", type=int, nargs="?", const=5, default=None, metavar="K")
    parser.add_argument("--fixed-thresholds", action="store_true", help="k-fold: shipped ones")
    parser.add_argument("--fast", action="store_true", help="k-fold: one pass, no inner k-fold")
    parser.add_argument(
        "--leave-out",
        default="",
        metavar="SET",
        help="train without a spent SET, route all of it (--kfold K: its folds)",
    )
    parser.add_argument("--share", type=float, default=1.0, help="--leave-out: share of the pool")
    args = parser.parse_args(argv)
    charters = load_charters(args.domains_dir)
    if args.leave_out:
        leave_out(charters, args.leave_out, args.kfold or 5, args.share)
        return 0
    if args.kfold is not None and args.fast:
        fast_kfold(args.kfold, bool(args.misses))
        return 0
    if args.kfold is not None:
        kfold(charters, args.kfold, args.fixed_thresholds, bool(args.misses))
        return 0
    start = time.perf_counter()
    model = route_model.shipped()
    load_ms = (time.perf_counter() - start) * 1000
    router = Router(charters)
    build_ms = (time.perf_counter() - start) * 1000  # a fresh router: first-call costs included
    size = route_model.MODEL_FILE.stat().st_size if route_model.MODEL_FILE.exists() else 0
    print(f"learned model: {route_model.MODEL_FILE.name} {size / 1024:.0f} KiB, "
          f"loaded in {load_ms:.0f} ms" if model else "learned model: none (charters only)")  # fmt: skip
    if args.eval is not None:
        cases = load_cases(args.eval)
        report = evaluate(router, cases)
        report.build_ms = build_ms
        print(f"{len(cases)} messages, {len(charters)} domains from {args.domains_dir}")
        print_report(report, bool(args.misses))
        return 0
    print(f"{len(charters)} domains from {args.domains_dir}; router built in {build_ms:.1f} ms")
    show = set(args.misses.split(",")) if args.misses else set()
    directory = SETS_DIR / args.set
    if args.set in TRAINED_SETS or (args.set == HELD_OUT and args.split != "test"):
        print(
            f"note: {args.set}/ is in the learned model's training pool: these figures are fitted"
        )
    # a set that is never split (routing6x) has only all.jsonl
    default = "train,dev" if (directory / "train.jsonl").exists() else "all"
    for name in (args.split or default).split(","):
        if name == "test" and args.set not in TRAINED_SETS:
            print(f"the held-out run: {directory / 'test.jsonl'} (never tune on its misses)")
        print_split(
            evaluate_split(router, f"{args.set} {name}", load_split(name, directory)), name in show
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
