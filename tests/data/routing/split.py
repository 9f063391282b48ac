#!/usr/bin/env python3
"""Split all.jsonl ONCE into train (60%) / dev (20%) / test (20%); routing5 55 / 15 / 30, routing6 50 / 10 / 40, routing7 and routing8 40 / 10 / 50.

Stratified by (kind, domain) -- for boundary rows, whose domain is null, by
(kind, boundary area). Fixed seed 20261201, python3 stdlib only. Re-running
reproduces byte-identical files; if existing split files differ from what this
would write (i.e. someone is about to re-split), it refuses unless --force.
"""
import json, os, random, sys
from collections import defaultdict

# The set's folder: this one, or another set's given as the first argument (routing2 uses these).
HERE = os.path.abspath(next((a for a in sys.argv[1:] if not a.startswith("--")), os.path.dirname(os.path.abspath(__file__))))
SEEDS = {"routing": 20261201, "routing2": 20261202, "routing3": 20261203, "routing4": 20261204, "routing5": 20261205, "routing6": 20261206, "routing7": 20261207, "routing8": 20261208}  # one fixed seed per set, by folder name
SEED = SEEDS[os.path.basename(HERE)]
# (test, dev) shares per set; the held-out sets of round 6 (routing5), round 7 (routing6),
# round 8 (routing7) and round 9 (routing8) keep larger test splits.
SHARES = {"routing5": (0.3, 0.15), "routing6": (0.4, 0.1), "routing7": (0.5, 0.1), "routing8": (0.5, 0.1)}
TEST_SHARE, DEV_SHARE = SHARES.get(os.path.basename(HERE), (0.2, 0.2))


def stratum(r):
    return (r["kind"], r["domain"] if r["domain"] is not None else "boundary:" + r["boundary"])


def main():
    with open(os.path.join(HERE, "all.jsonl"), encoding="utf-8") as f:
        rows = [json.loads(l) for l in f if l.strip()]
    groups = defaultdict(list)
    for r in rows:
        groups[stratum(r)].append(r)
    rng = random.Random(SEED)
    out = {"train": [], "dev": [], "test": []}
    for key in sorted(groups):
        g = sorted(groups[key], key=lambda r: r["text"])  # order-independent of source order
        rng.shuffle(g)
        n = len(g)
        n_test = round(n * TEST_SHARE)
        n_dev = round(n * DEV_SHARE)
        out["test"] += g[:n_test]
        out["dev"] += g[n_test:n_test + n_dev]
        out["train"] += g[n_test + n_dev:]
    rendered = {k: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in v) for k, v in out.items()}
    force = "--force" in sys.argv
    for k, text in rendered.items():
        p = os.path.join(HERE, k + ".jsonl")
        if os.path.exists(p) and not force:
            with open(p, encoding="utf-8") as f:
                if f.read() != text:
                    sys.exit(f"{p} exists and differs: the split is done once. Use --force only if all.jsonl was deliberately rebuilt before any tuning.")
    for k, text in rendered.items():
        with open(os.path.join(HERE, k + ".jsonl"), "w", encoding="utf-8") as f:
            f.write(text)
        print(f"{k}: {len(out[k])}")


if __name__ == "__main__":
    main()
