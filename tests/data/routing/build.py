#!/usr/bin/env python3
"""Assemble all.jsonl from the hand-written sources in src/.

Source layout (one message per line, '#' lines are comments):
  src/clear/<domain>.txt       text
  src/hard/<domain>.txt        <other plausible domain> :: text      (label = <domain>)
  src/boundary/<area>.txt      <domain it would otherwise go to> :: text
  src/lookalike/<domain>.txt   <what it resembles> :: text           (label = <domain>, in scope)

Only the five schema fields are written to all.jsonl; the side notes stay in src/.
"""
import json, os, sys

# The set's folder: this one, or another set's given as the first argument (routing2 uses these).
HERE = os.path.abspath(next((a for a in sys.argv[1:] if not a.startswith("--")), os.path.dirname(os.path.abspath(__file__))))
DOMAINS = ["career", "content", "finance", "learning", "legal", "travel", "venture", "wellness"]
AREAS = ["investment", "clinical", "legal", "safety"]


def lines(path):
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n").strip()
            if line and not line.startswith("#"):
                yield line


def split_note(line, path):
    if " :: " not in line:
        sys.exit(f"{path}: missing ' :: ' in {line!r}")
    note, text = line.split(" :: ", 1)
    return note.strip(), text.strip()


def main():
    rows = []
    for d in DOMAINS:
        for t in lines(os.path.join(HERE, "src/clear", d + ".txt")):
            rows.append({"text": t, "kind": "clear", "domain": d, "decline": False, "boundary": None})
    for d in DOMAINS:
        p = os.path.join(HERE, "src/hard", d + ".txt")
        for line in lines(p):
            alt, t = split_note(line, p)
            assert alt in DOMAINS and alt != d, (p, line)
            rows.append({"text": t, "kind": "hard", "domain": d, "decline": False, "boundary": None})
    for a in AREAS:
        p = os.path.join(HERE, "src/boundary", a + ".txt")
        for line in lines(p):
            would, t = split_note(line, p)
            assert would in DOMAINS, (p, line)
            rows.append({"text": t, "kind": "boundary", "domain": None, "decline": True, "boundary": a})
    for d in DOMAINS:
        p = os.path.join(HERE, "src/lookalike", d + ".txt")
        for line in lines(p):
            _, t = split_note(line, p)
            rows.append({"text": t, "kind": "lookalike", "domain": d, "decline": False, "boundary": None})
    with open(os.path.join(HERE, "all.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to all.jsonl")


if __name__ == "__main__":
    main()
