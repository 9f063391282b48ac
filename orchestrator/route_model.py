"""The router's learned model at run time, in pure Python (issue 18).

`scripts/build_route_model.py` trains linear models with scikit-learn on the labelled routing
messages and writes them to `route_model.json`: TF-IDF over word 1–2-grams and over char_wb
2–5-grams (each block l2-normalised on its own, as a scikit-learn `FeatureUnion` does), then

- `domain`: a multinomial logistic regression over the eight shipped domains;
- `boundary`: a binary logistic regression, a licensed-judgement request or not;
- `area`: which licensed area (clinical, investment, legal, safety) a declined request is in.

This module re-implements exactly that feature extraction (the text is first `clean`ed, the
preprocessor the script gives scikit-learn too), so the scores equal scikit-learn's
`decision_function` (checked in tests/test_route_model.py). Nothing here imports numpy, scipy or
scikit-learn: the web process stays small and starts fast.
"""

from __future__ import annotations

import base64
import json
import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from orchestrator.boundary import cues

MODEL_FILE = Path(__file__).with_name("route_model.json")
# static word vectors distilled from a sentence-embedding model (scripts/build_word_vectors.py)
VECTORS_FILE = Path(__file__).with_name("route_vectors.json")
FORMAT = 1
VECTOR_TOKEN = re.compile(r"(?u)\b[^\W\d_]{2,}\b")  # the words the vectors are kept for


class ModelError(ValueError):
    """The model file is missing parts or is of another format."""


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's `char_wb` analyzer: n-grams inside each whitespace-separated word, the
    word padded with one space each side; a word shorter than n counts once."""
    grams: list[str] = []
    append = grams.append
    for word in text.split():
        padded = " " + word + " "
        size = len(padded)
        for n in range(low, high + 1):
            offset = 0
            append(padded[offset : offset + n])
            while offset + n < size:
                offset += 1
                append(padded[offset : offset + n])
            if offset == 0:
                break
    return grams


def word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    """scikit-learn's word n-grams of `tokens`, joined by one space, shortest first."""
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


class WordVectors:
    """int8 word vectors (a row per word, `dims` wide, times `scale`), read in pure Python."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.dims = int(data["dims"])
        self.scale = float(data["scale"])
        raw = array("b", base64.b64decode(data["int8"]))
        words = list(data["words"])
        if len(raw) != len(words) * self.dims:
            raise ModelError("route vectors: the table does not match the words")
        self.rows = {w: i * self.dims for i, w in enumerate(words)}
        self.table = raw

    def mean(self, text: str) -> list[float]:
        """The l2-normalised sum of the known words' vectors (all zero when none is known)."""
        dims, table, rows = self.dims, self.table, self.rows
        total = [0] * dims
        for word in VECTOR_TOKEN.findall(text):
            at = rows.get(word)
            if at is not None:
                total = [t + v for t, v in zip(total, table[at : at + dims], strict=True)]
        norm = math.sqrt(sum(t * t for t in total))
        return [t / norm for t in total] if norm > 0 else []


@lru_cache(maxsize=4)
def word_vectors(path: Path = VECTORS_FILE) -> WordVectors:
    with path.open(encoding="utf-8") as fh:
        return WordVectors(json.load(fh))


@dataclass(frozen=True)
class _Block:
    """One TF-IDF vectoriser: its n-grams, their column and idf."""

    analyzer: str  # "word", "char_wb" or "cues" (`boundary.cues`, binary, not normalised)
    low: int
    high: int
    sublinear: bool
    token: re.Pattern[str] | None
    index: dict[str, int]  # n-gram -> column in the shared coefficient table
    idf: array[float]  # by column, less the block's first column (`offset`)
    offset: int = 0
    scale: float = 1.0  # the value of a cue that is there ("cues" block); the dense block's
    vectors: WordVectors | None = None  # "dense": the mean word vector, `scale` times

    def grams(self, text: str) -> list[str]:
        if self.analyzer == "cues":
            return cues(text)
        if self.analyzer == "char_wb":
            return char_wb_ngrams(text, self.low, self.high)
        assert self.token is not None
        return word_ngrams(self.token.findall(text), self.low, self.high)

    def vector(self, text: str) -> list[tuple[int, float]]:
        """(column, tf-idf value) of the known n-grams, l2-normalised over this block (a cue:
        `scale`)."""
        if self.analyzer == "cues":
            return [(self.index[c], self.scale) for c in self.grams(text) if c in self.index]
        if self.analyzer == "dense":
            assert self.vectors is not None
            start, scale = self.low, self.scale
            return [(start + i, v * scale) for i, v in enumerate(self.vectors.mean(text))]
        # every n-gram counted (in C), then one lookup each: most of a message's are known
        index, idf, offset, log, sublinear = (
            self.index,
            self.idf,
            self.offset,
            math.log,
            self.sublinear,
        )
        values = []
        for gram, count in Counter(self.grams(text)).items():
            column = index.get(gram)
            if column is not None:
                tf = 1.0 + log(count) if sublinear else float(count)
                values.append((column, tf * idf[column - offset]))
        norm = math.sqrt(sum(v * v for _, v in values))
        return [(i, v / norm) for i, v in values] if norm > 0 else []


@dataclass(frozen=True)
class _Linear:
    """A linear model's classes and intercepts; its coefficients are columns `start` to
    `start + len(classes)` of the model's one table (a row per feature)."""

    classes: tuple[str, ...]
    intercept: tuple[float, ...]
    start: int


def softmax(scores: dict[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    top = max(scores.values())
    exp = {k: math.exp(v - top) for k, v in scores.items()}
    total = sum(exp.values())
    return {k: e / total for k, e in exp.items()}


class RouteModel:
    """The learned domain, boundary and area scores of a cleaned message."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != FORMAT:
            raise ModelError(f"route model format {data.get('format')!r}, expected {FORMAT}")
        try:
            self.blocks = [self._block(spec) for spec in data["vectorizers"]]
            width = sum(len(b.index) for b in self.blocks)
            specs = [data["domain"], data["boundary"], data["area"]]
            starts = [0, len(specs[0]["classes"]), len(specs[0]["classes"]) + 1]
            self.domain, self.boundary, self.area = (
                self._linear(spec, start) for spec, start in zip(specs, starts, strict=True)
            )
            # one row per feature: every model's coefficients side by side, so a message's
            # scores are one pass over its features
            columns = [spec["coef"] for spec in specs]
            if any(len(c) != width for c in columns):
                raise ModelError("route model: a coefficient table does not match the features")
            self.table: list[tuple[float, ...]] = [
                tuple(map(float, (*a, *b, *c))) for a, b, c in zip(*columns, strict=True)
            ]
            self.intercept = (*self.domain.intercept, *self.boundary.intercept,
                              *self.area.intercept)  # fmt: skip
            if any(len(row) != len(self.intercept) for row in self.table):
                raise ModelError("route model: a coefficient row has the wrong width")
            self.thresholds: dict[str, float] = {
                k: float(v) for k, v in data.get("thresholds", {}).items()
            }
            self.meta: dict[str, Any] = dict(data.get("meta", {}))
        except (KeyError, TypeError, IndexError, ValueError) as exc:
            if isinstance(exc, ModelError):
                raise
            raise ModelError(f"route model is incomplete: {exc!r}") from exc

    @staticmethod
    def _block(spec: dict[str, Any]) -> _Block:
        # the columns of all blocks are numbered in order, one table for every model
        start = int(spec["offset"])
        grams = list(spec["features"])
        if len(spec["idf"]) != len(grams):
            raise ModelError("route model: features and idf differ in length")
        token = re.compile(spec["token_pattern"]) if spec["analyzer"] == "word" else None
        low, high = spec.get("ngram_range", (1, 1))
        vectors = None
        if spec["analyzer"] == "dense":  # low is the first column (the block's offset)
            vectors = word_vectors(MODEL_FILE.with_name(str(spec["file"])))
            if vectors.dims != len(grams):
                raise ModelError("route model: the dense block does not match the vectors")
            low = start
        return _Block(
            analyzer=str(spec["analyzer"]),
            low=int(low),
            high=int(high),
            sublinear=bool(spec["sublinear_tf"]),
            token=token,
            index={g: start + i for i, g in enumerate(grams)},
            idf=array("d", map(float, spec["idf"])),
            offset=start,
            scale=float(spec.get("scale", 1.0)),
            vectors=vectors,
        )

    @staticmethod
    def _linear(spec: dict[str, Any], start: int) -> _Linear:
        classes = tuple(str(c) for c in spec["classes"])
        intercept = tuple(map(float, spec["intercept"]))
        if len(intercept) != len(classes):
            raise ModelError("route model: classes and intercepts differ in length")
        return _Linear(classes, intercept, start)

    def vector(self, plain: str) -> list[tuple[int, float]]:
        """The message's features (`plain` is `routing_text.clean`ed text)."""
        return [pair for block in self.blocks for pair in block.vector(plain)]

    def scores(self, vector: list[tuple[int, float]]) -> Scores:
        """Every model's decision function for one message's features."""
        out = list(self.intercept)
        table = self.table
        for column, value in vector:  # every row is as wide as `out` (checked at load)
            out = [o + c * value for o, c in zip(out, table[column])]  # noqa: B905
        d, b = self.domain, self.boundary
        return Scores(
            domain=dict(zip(d.classes, out[: len(d.classes)], strict=True)),
            boundary=out[b.start],
            area=dict(zip(self.area.classes, out[self.area.start :], strict=True)),
        )

    def threshold(self, name: str, default: float) -> float:
        return self.thresholds.get(name, default)


@dataclass(frozen=True)
class Scores:
    """A message's decision functions: per domain, the boundary (> 0 leans to a licensed
    judgement) and per licensed area."""

    domain: dict[str, float]
    boundary: float
    area: dict[str, float]


def from_file(path: Path) -> RouteModel:
    with path.open(encoding="utf-8") as fh:
        return RouteModel(json.load(fh))


@lru_cache(maxsize=1)
def shipped() -> RouteModel | None:
    """The model shipped beside this module, loaded once a process; None when absent (the
    router then routes from the charters alone)."""
    return from_file(MODEL_FILE) if MODEL_FILE.exists() else None
