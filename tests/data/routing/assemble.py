#!/usr/bin/env python3
"""Assemble a new set's src/ from its writers' folders, without near-duplicates.

    python3 tests/data/routing/assemble.py tests/data/routing7 /work/routing7/w1 /work/routing7/w2 ...

Each writer's folder holds src/{clear,hard,boundary,lookalike}/<label>.txt in the brief's format
(routing6/BRIEF.md). For every file, the writers' lines are appended in the order given, under a
`# writer <folder name>` comment, to OUT/src/<kind>/<label>.txt. A line is dropped when:

- it breaks the format (no " :: " where one is needed, an unknown domain or area, a hard
  message whose other domain is its owner);
- it is a near-duplicate, by validate.py's own measures (char 4-gram Jaccard >= 0.5 or word
  Jaccard >= 0.6), of any row of a sibling set's all.jsonl or of a line kept before it.

So validate.py passes on the result. Every dropped line is printed with its reason. Then run
build.py OUT, (for a held-out set) split.py OUT and validate.py OUT. Refuses to overwrite an
existing src/.
"""

import json
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from validate import AREAS, DOMAINS, norm, shingles  # noqa: E402

KINDS = {"clear": DOMAINS, "hard": DOMAINS, "boundary": AREAS, "lookalike": DOMAINS}
# what the part before " :: " must be, per kind (clear lines have none)
NOTES = {"hard": DOMAINS, "boundary": DOMAINS, "lookalike": AREAS}


def parse(kind, label, line):
    """(text, None) for a well-formed line, else (None, the reason)."""
    if kind == "clear":
        return line, None
    if " :: " not in line:
        return None, "no ' :: '"
    note, text = (part.strip() for part in line.split(" :: ", 1))
    if note not in NOTES[kind]:
        return None, f"unknown {note!r} before ' :: '"
    if kind == "hard" and note == label:
        return None, "a hard message's other domain is its owner"
    return text, None


class Seen:
    """The texts kept so far and the other sets', with validate.py's near-duplicate test."""

    def __init__(self, texts):
        self.rows = [self._key(t) for t in texts]

    @staticmethod
    def _key(text):
        return shingles(text), set(norm(text).split()), text

    def near(self, text):
        sh, wd, _ = key = self._key(text)
        for osh, owd, other in self.rows:
            if len(sh & osh) / len(sh | osh) >= 0.5 or len(wd & owd) / max(1, len(wd | owd)) >= 0.6:
                return other
        self.rows.append(key)
        return None


def sibling_texts(out):
    parent = os.path.dirname(os.path.abspath(out))
    texts = []
    for name in sorted(os.listdir(parent)):
        path = os.path.join(parent, name, "all.jsonl")
        if name != os.path.basename(os.path.abspath(out)) and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                texts.extend(json.loads(line)["text"] for line in f if line.strip())
    return texts


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    out, writers = argv[0], argv[1:]
    if os.path.exists(os.path.join(out, "src")):
        sys.exit(f"{out}/src exists: assemble once, into a new set")
    seen = Seen(sibling_texts(out))
    kept, dropped = Counter(), Counter()
    for kind, labels in KINDS.items():
        os.makedirs(os.path.join(out, "src", kind), exist_ok=True)
        for label in labels:
            body = [f"# {kind} messages, label {label} (assembled from {len(writers)} writers)"]
            for folder in writers:
                name = os.path.basename(os.path.normpath(folder))
                path = os.path.join(folder, "src", kind, label + ".txt")
                if not os.path.exists(path):
                    continue
                body.append(f"# writer {name}")
                with open(path, encoding="utf-8") as f:
                    for raw in f:
                        line = raw.strip()
                        if not line or line.startswith("#"):
                            continue
                        text, reason = parse(kind, label, line)
                        if text is not None:
                            other = seen.near(text)
                            reason = None if other is None else f"near {other!r}"
                        if reason is not None:
                            dropped[name] += 1
                            print(f"DROP {name} {kind}/{label}: {line!r}: {reason}")
                            continue
                        kept[name] += 1
                        body.append(line)
            with open(os.path.join(out, "src", kind, label + ".txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(body) + "\n")
    for name in (os.path.basename(os.path.normpath(w)) for w in writers):
        print(f"{name}: kept {kept[name]}, dropped {dropped[name]}")
    print(f"kept {sum(kept.values())}, dropped {sum(dropped.values())}")


if __name__ == "__main__":
    main(sys.argv[1:])
