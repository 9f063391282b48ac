"""The router's learned model (issue 18): the pure-Python scores equal scikit-learn's, the
model decides only among loaded charters, a charter the model does not know still routes from
its own text, and a broken model file is refused with a clear error."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from domains.charter import SHIPPED_DIR, load_charters
from orchestrator import route_model
from orchestrator.boundary import cues
from orchestrator.route_model import ModelError, RouteModel, char_wb_ngrams, word_ngrams
from orchestrator.router import Router
from orchestrator.routing_text import clean

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = [
    *(json.loads(line)["text"] for line in (ROOT / "tests/data/routing/all.jsonl").open()),
    "✈️ flights lisbon march?",
    "Überweisung für die Miete 💸, déjà payé?",
    "a",
    "ok " * 300,
    "should I sell my bitcoin before the halving?",
    "   spaces\tand\nnewlines   ",
][::7]


def _model_data() -> dict[str, Any]:
    return json.loads(route_model.MODEL_FILE.read_text(encoding="utf-8"))


class _Cues:
    """The "cues" block as scikit-learn would see it: a sparse 0/`scale` matrix."""

    def __init__(self, names: list[str], scale: float) -> None:
        self.index = {n: i for i, n in enumerate(names)}
        self.scale = scale

    def transform(self, texts: list[str]) -> Any:
        from scipy.sparse import csr_matrix

        cells = [(i, self.index[c]) for i, t in enumerate(texts) for c in cues(clean(t))]
        rows, cols = [r for r, _ in cells], [c for _, c in cells]
        data = [self.scale] * len(cells)
        return csr_matrix((data, (rows, cols)), shape=(len(texts), len(self.index)))


class _Dense:
    """The "dense" block: the mean word vector (`route_model.WordVectors.mean`), `scale` times,
    as a dense matrix."""

    def __init__(self, file: str, dims: int, scale: float) -> None:
        self.vectors = route_model.word_vectors(route_model.MODEL_FILE.with_name(file))
        assert self.vectors.dims == dims
        self.scale = scale

    def transform(self, texts: list[str]) -> Any:
        import numpy as np
        from scipy.sparse import csr_matrix

        out = np.zeros((len(texts), self.vectors.dims))
        for i, text in enumerate(texts):
            mean = self.vectors.mean(clean(text))
            if mean:
                out[i] = np.asarray(mean) * self.scale
        return csr_matrix(out)


def _sklearn_from(data: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The shipped model as scikit-learn objects: vectorisers with its vocabulary and idf,
    logistic regressions with its coefficients."""
    np = pytest.importorskip("numpy")
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    blocks: list[Any] = []
    for spec in data["vectorizers"]:
        if spec["analyzer"] == "cues":  # binary cues of `boundary.cues`, `scale` each
            blocks.append(_Cues(spec["features"], float(spec["scale"])))
            continue
        if spec["analyzer"] == "dense":
            blocks.append(_Dense(spec["file"], len(spec["features"]), float(spec["scale"])))
            continue
        extra = {"token_pattern": spec["token_pattern"]} if spec["analyzer"] == "word" else {}
        vec = TfidfVectorizer(
            preprocessor=clean,
            analyzer=spec["analyzer"],
            ngram_range=tuple(spec["ngram_range"]),
            sublinear_tf=spec["sublinear_tf"],
            vocabulary=spec["features"],
            dtype=np.float64,
            **extra,
        )
        vec.idf_ = np.array(spec["idf"], dtype=np.float64)
        blocks.append(vec)

    def design(texts: list[str]) -> Any:
        return hstack([b.transform(texts) for b in blocks]).tocsr()

    models = {}
    for name in ("domain", "boundary", "area"):
        spec = data[name]
        lr = LogisticRegression()
        lr.coef_ = np.array(spec["coef"], dtype=np.float64).T
        lr.intercept_ = np.array(spec["intercept"], dtype=np.float64)
        lr.classes_ = np.array([False, True] if name == "boundary" else spec["classes"])
        models[name] = lr
    return design, models


def test_pure_python_scores_equal_sklearn_decision_function() -> None:
    """Every score of the shipped model, on a sample of messages, within 1e-6 of scikit-learn
    given the same vocabulary, idf and coefficients (skipped without scikit-learn, a dev
    dependency, which CI installs)."""
    pytest.importorskip(
        "sklearn", reason="scikit-learn is a dev dependency (pip install -e .[dev])"
    )
    data = _model_data()
    design, models = _sklearn_from(data)
    model = RouteModel(data)
    x = design(SAMPLE)
    expected = {name: lr.decision_function(x) for name, lr in models.items()}
    worst = 0.0
    for i, text in enumerate(SAMPLE):
        got = model.scores(model.vector(clean(text)))
        for k, cls in enumerate(model.domain.classes):
            worst = max(worst, abs(got.domain[cls] - expected["domain"][i][k]))
        for k, cls in enumerate(model.area.classes):
            worst = max(worst, abs(got.area[cls] - expected["area"][i][k]))
        worst = max(worst, abs(got.boundary - expected["boundary"][i]))
    assert worst < 1e-6, worst


@pytest.mark.parametrize(
    "text", ["a", "ab cd", "flights lisbon march?", "the   quick\tbrown", "é ü ✈️", ""]
)
def test_ngrams_are_sklearns(text: str) -> None:
    """The char_wb and word n-grams are scikit-learn's, in the same order."""
    pytest.importorskip(
        "sklearn", reason="scikit-learn is a dev dependency (pip install -e .[dev])"
    )
    from sklearn.feature_extraction.text import CountVectorizer

    plain = clean(text)
    char = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), preprocessor=clean)
    assert char_wb_ngrams(plain, 2, 5) == char.build_analyzer()(text)
    word = CountVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", preprocessor=clean)
    tokens = [t for t in plain.replace("?", " ").split() if t.isalnum()]
    assert word_ngrams(tokens, 1, 2) == word.build_analyzer()(" ".join(tokens))


def test_the_web_process_imports_no_numerical_library() -> None:
    """Loading the model and routing imports neither numpy, scipy nor scikit-learn."""
    code = (
        "import sys\n"
        "from domains.charter import SHIPPED_DIR, load_charters\n"
        "from orchestrator.router import Router\n"
        "r = Router(load_charters(SHIPPED_DIR))\n"
        "assert r._learned is not None\n"
        "r.route('book me a flight to lisbon')\n"
        "print(sorted(m for m in ('numpy', 'scipy', 'sklearn') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out


def _charters_in(tmp_path: Path, drop: str = "", extra: dict[str, str] | None = None) -> Any:
    for f in SHIPPED_DIR.glob("*.md"):
        if f.stem != drop:
            shutil.copy(f, tmp_path / f.name)
    for name, text in (extra or {}).items():
        (tmp_path / f"{name}.md").write_text(text)
    return load_charters(tmp_path)


def test_a_domain_whose_charter_is_missing_is_never_chosen(tmp_path: Path) -> None:
    """Without the travel charter, the model's travel class is dropped: a flight booking goes
    to no domain that is not loaded."""
    router = Router(_charters_in(tmp_path, drop="travel"))
    assert "travel" not in router._known and router._learned is not None
    for text in ("book me a flight to lisbon", "hotel in Oslo for two nights", "rebook my train"):
        d = router.route(text)
        assert d.domain != "travel" and set(d.candidates) <= set(router.charters.names()), d


def _bench(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT))
    spec.loader.exec_module(module)
    return module


def test_a_charter_the_model_does_not_know_routes_from_its_own_text(tmp_path: Path) -> None:
    """A ninth charter added by a user (mission and scope only) gets its own messages."""
    new_domain = _bench("new_domain")
    router = Router(_charters_in(tmp_path, extra={"home": new_domain.home_charter()}))
    assert "home" not in router._known
    routed = [router.route(t).domain for t in new_domain.MESSAGES]
    assert routed.count("home") >= len(routed) // 2, routed
    assert router.route("book me a flight to lisbon").domain == "travel"


def test_without_a_model_the_router_uses_the_charters_alone() -> None:
    router = Router(load_charters(SHIPPED_DIR), model=None)
    assert router._learned is None
    assert router.route("rebook the train, we missed it").domain == "travel"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(format=99),
        lambda d: d.pop("boundary"),
        lambda d: d["domain"]["coef"].pop(),
        lambda d: d["vectorizers"][0]["idf"].pop(),
    ],
)
def test_a_broken_model_file_is_refused(tmp_path: Path, change: Any) -> None:
    data = _model_data()
    change(data)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ModelError):
        route_model.from_file(path)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_build_is_reproducible() -> None:
    """Re-running the build script gives the shipped file byte for byte (scikit-learn)."""
    pytest.importorskip(
        "sklearn", reason="scikit-learn is a dev dependency (pip install -e .[dev])"
    )
    out = subprocess.run(
        [sys.executable, "scripts/build_route_model.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_word_vectors_mean_is_unit_or_empty() -> None:
    """The shipped word vectors: a known word gives a unit vector, no known word gives none,
    and related words lie closer than unrelated ones."""
    vectors = route_model.word_vectors()
    mean = vectors.mean("is it safe to swim here")
    assert len(mean) == vectors.dims
    assert abs(sum(v * v for v in mean) - 1.0) < 1e-9
    assert vectors.mean("zzqxv 123") == []

    def sim(a: str, b: str) -> float:
        return sum(x * y for x, y in zip(vectors.mean(a), vectors.mean(b), strict=True))

    assert sim("my stomach hurts", "pain") > sim("my stomach hurts", "invoice")
