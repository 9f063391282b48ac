#!/usr/bin/env python3
"""Validate the route dataset: every line parses, labels are consistent,
no exact or near duplicates, splits are disjoint and cover all.jsonl.
Prints counts; --markdown prints the split x kind x domain table for the README."""
import json, os, re, sys
from collections import Counter
from itertools import combinations

# The set's folder: this one, or another set's given as the first argument (routing2 uses these).
HERE = os.path.abspath(next((a for a in sys.argv[1:] if not a.startswith("--")), os.path.dirname(os.path.abspath(__file__))))
DOMAINS = ["career", "content", "finance", "learning", "legal", "travel", "venture", "wellness"]
AREAS = ["investment", "clinical", "legal", "safety"]
KINDS = ["clear", "hard", "boundary", "lookalike"]
KEYS = {"text", "kind", "domain", "decline", "boundary"}
errors = []


def load(name):
    rows = []
    p = os.path.join(HERE, name)
    if not os.path.exists(p):
        return None
    with open(p, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{name}:{i}: does not parse: {e}")
                continue
            check(r, f"{name}:{i}")
            rows.append(r)
    return rows


def check(r, where):
    if not isinstance(r, dict) or set(r) != KEYS:
        errors.append(f"{where}: keys {sorted(r) if isinstance(r, dict) else type(r)} != {sorted(KEYS)}")
        return
    if not isinstance(r["text"], str) or not r["text"].strip():
        errors.append(f"{where}: empty text")
    if r["kind"] not in KINDS:
        errors.append(f"{where}: bad kind {r['kind']!r}")
    if not isinstance(r["decline"], bool):
        errors.append(f"{where}: decline not bool")
    if r["kind"] == "boundary":
        if not (r["decline"] is True and r["domain"] is None and r["boundary"] in AREAS):
            errors.append(f"{where}: boundary row must have decline true, domain null, boundary area set")
    else:
        if not (r["decline"] is False and r["domain"] in DOMAINS and r["boundary"] is None):
            errors.append(f"{where}: in-scope row must have decline false, domain set, boundary null")


def norm(t):
    return re.sub(r"[^\w]+", " ", t.lower()).strip()


def shingles(t, k=4):
    t = norm(t)
    return {t[i:i + k] for i in range(max(1, len(t) - k + 1))}


def label(r):
    return r["domain"] if r["domain"] is not None else r["boundary"]


def main():
    all_rows = load("all.jsonl")
    splits = {s: load(s + ".jsonl") for s in ("train", "dev", "test")}

    # exact duplicates (normalised)
    c = Counter(norm(r["text"]) for r in all_rows)
    for t, n in c.items():
        if n > 1:
            errors.append(f"duplicate text x{n}: {t!r}")

    # near duplicates: char 4-gram Jaccard and word Jaccard (O(n^2): --quick skips them)
    quick = "--quick" in sys.argv
    sh = [shingles(r["text"]) for r in all_rows]
    wd = [set(norm(r["text"]).split()) for r in all_rows]
    near = []
    for i, j in combinations(range(len(all_rows)) if not quick else [], 2):
        a, b = sh[i], sh[j]
        cj = len(a & b) / len(a | b)
        wj = len(wd[i] & wd[j]) / max(1, len(wd[i] | wd[j]))
        if cj >= 0.5 or wj >= 0.6:
            near.append((max(cj, wj), all_rows[i]["text"], all_rows[j]["text"]))
    # near duplicates of another set (a sibling folder's all.jsonl): each set is new wording
    parent = os.path.dirname(HERE)
    older = [r for d in sorted(os.listdir(parent)) if d != os.path.basename(HERE)
             for r in (load(os.path.join(parent, d, "all.jsonl")) or [])] if not quick else []
    osh = [shingles(r["text"]) for r in older]
    owd = [set(norm(r["text"]).split()) for r in older]
    for i in range(len(all_rows)):
        for j in range(len(older)):
            cj = len(sh[i] & osh[j]) / len(sh[i] | osh[j])
            wj = len(wd[i] & owd[j]) / max(1, len(wd[i] | owd[j]))
            if cj >= 0.5 or wj >= 0.6:
                near.append((max(cj, wj), all_rows[i]["text"], "other set: " + older[j]["text"]))
    near.sort(reverse=True)
    for s, a, b in near:
        print(f"NEAR-DUP {s:.2f}: {a!r} ~ {b!r}")
    if near:
        errors.append(f"{len(near)} near-duplicate pairs")

    # splits
    if all(v is not None for v in splits.values()):
        key = lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False)
        sets = {s: Counter(map(key, v)) for s, v in splits.items()}
        for a, b in combinations(sets, 2):
            if set(sets[a]) & set(sets[b]):
                errors.append(f"{a} and {b} overlap")
        union = sets["train"] + sets["dev"] + sets["test"]
        if union != Counter(map(key, all_rows)):
            errors.append("train+dev+test != all.jsonl")
    else:
        print("(split files not present yet)")

    # counts
    print(f"\nall.jsonl: {len(all_rows)} rows")
    kc = Counter(r["kind"] for r in all_rows)
    print("by kind:", {k: kc[k] for k in KINDS})
    if all(v is not None for v in splits.values()):
        print("by split:", {s: len(v) for s, v in splits.items()})
        if "--markdown" in sys.argv:
            print_markdown(all_rows, splits)
        else:
            for kind in KINDS:
                labels = AREAS if kind == "boundary" else DOMAINS
                print(f"\n{kind}: " + "  ".join(
                    f"{l}=" + "/".join(str(sum(1 for r in splits[s] if r['kind'] == kind and label(r) == l))
                                       for s in ("train", "dev", "test")) for l in labels) + "  (train/dev/test)")

    if errors:
        print("\nFAIL")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("\nOK: every line parses, labels consistent, no duplicates, splits disjoint and complete")


def print_markdown(all_rows, splits):
    for kind in KINDS:
        labels = AREAS if kind == "boundary" else DOMAINS
        head = "boundary area" if kind == "boundary" else "domain"
        print(f"\n**{kind}**\n")
        print(f"| {head} | train | dev | test | total |")
        print("|---|---:|---:|---:|---:|")
        tot = [0, 0, 0]
        for l in labels:
            n = [sum(1 for r in splits[s] if r["kind"] == kind and label(r) == l) for s in ("train", "dev", "test")]
            tot = [a + b for a, b in zip(tot, n)]
            print(f"| {l} | {n[0]} | {n[1]} | {n[2]} | {sum(n)} |")
        print(f"| **all** | **{tot[0]}** | **{tot[1]}** | **{tot[2]}** | **{sum(tot)}** |")


if __name__ == "__main__":
    main()
