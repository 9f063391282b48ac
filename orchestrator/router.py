"""The offline router: which domain a message belongs to (CONTRACT §7.1).

Order: boundary detection (regulated advice a charter declines, and the licensed-judgement
decision: the rule detector of `boundary.py` or the learned boundary model; checked even after
a mention, since a declined request is never dispatched) → an explicit mention of a domain
("#travel", "finance:", "@legal", "for career,") → a question about the whole system (the hub)
→ the domain: the learned model (`route_model.py`, linear over word and character n-grams,
trained by scripts/build_route_model.py) over the loaded shipped domains, and a multinomial
naive-Bayes classifier over stemmed words and word pairs from each charter's own text (name,
title, mission, scope, keywords, examples) for any domain the model does not know → when still
unsure, no domain and the top candidates, so the user can choose.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from orchestrator import boundary as licensed
from orchestrator.charters import Boundary, Charter, CharterSet
from orchestrator.ownership import owners
from orchestrator.route_model import RouteModel, shipped, softmax
from orchestrator.routing_text import (
    STOPWORDS,
    SpellIndex,
    clean,
    content_words,
    features,
    normalise,
    stem,
    words,
)

# Field weights: how strongly each part of a charter speaks for its domain.
_WEIGHTS = {"name": 6.0, "title": 2.0, "keywords": 3.0, "examples": 1.0, "scope": 0.5}
_ALPHA = 0.1  # additive smoothing
_TEMPERATURE = 1.0  # softmax temperature over the weighted log-likelihoods
OWNER_BONUS = 3.0  # log-score for the domain that owns the action asked for (ownership rules)
SHORT_WORDS = 5  # a message of fewer words is "short" (`Thresholds.learned_boundary`)
MIN_CONFIDENCE = 0.5  # the charters-only router's abstention thresholds (no learned model)
MIN_MARGIN = 0.1
# The router reads at most this much of a message (a whole Telegram message, and more than any
# routing decision needs); the message itself is stored and answered whole.
MAX_ROUTED_CHARS = 4096
MAX_CORRECTED_WORDS = 100  # unknown words a message gets typo-corrected (the first ones)


@dataclass(frozen=True)
class RouteDecision:
    """Where a message goes. `domain` is None when unsure (see `candidates`) or text is empty."""

    domain: str | None
    confidence: float
    in_scope: bool
    reason: str
    candidates: tuple[str, ...] = ()
    hub: bool = False  # a question about the whole system: the hub answers it (not in JSON)

    def as_json(self) -> dict[str, object]:
        return {
            "domain": self.domain,
            "confidence": round(self.confidence, 3),
            "in_scope": self.in_scope,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class _CompiledBoundary:
    domain: str
    spec: Boundary
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]
    answers: tuple[re.Pattern[str], ...] = ()

    def matches(self, texts: tuple[str, ...]) -> bool:
        if not any(p.search(t) for p in self.patterns for t in texts):
            return False
        return not any(p.search(t) for p in self.unless for t in texts)


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def _any_of(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    """`patterns` as one alternation, which matches where any of them does and is searched
    once; each on its own where they cannot be joined (a back-reference, a global flag or a
    group name used twice)."""
    if not patterns:
        return ()
    if not any(_BACKREFERENCE.search(p) for p in patterns):
        try:
            return (re.compile("|".join(f"(?:{p})" for p in patterns)),)
        except re.error:
            pass
    return tuple(re.compile(p) for p in patterns)


def _compile_boundaries(charters: CharterSet) -> list[_CompiledBoundary]:
    out = []
    for name, charter in charters.charters.items():
        for spec in charter.routing.boundaries:
            patterns = _any_of(spec.expanded("patterns"))
            unless = _any_of(spec.expanded("unless"))
            answers = tuple(re.compile(p) for p in spec.expanded("answers"))
            out.append(_CompiledBoundary(name, spec, patterns, unless, answers))
    return out


def _charter_texts(charter: Charter) -> dict[str, list[str]]:
    return {
        "name": [charter.name.replace("_", " ").replace("-", " ")],
        "title": [charter.title],
        "keywords": list(charter.routing.keywords),
        "examples": list(charter.routing.examples),
        "scope": [charter.mission, *charter.in_scope],
    }


def _count_features(charters: CharterSet) -> tuple[dict[str, dict[str, float]], Counter[str]]:
    """Weighted feature counts per domain, and every word the charters use (for spelling)."""
    raw: Counter[str] = Counter()
    counts: dict[str, dict[str, float]] = {}
    for name, charter in charters.charters.items():
        counter: dict[str, float] = {}
        counts[name] = counter
        for part, texts in _charter_texts(charter).items():
            for text in texts:
                tokens = content_words(normalise(text))
                raw.update(tokens)
                # A keyword phrase speaks for the phrase; its single words count less.
                share = 1.0 / len(tokens) if part == "keywords" and tokens else 1.0
                for feat in features(tokens):
                    weight = _WEIGHTS[part] * (1.0 if "~" in feat else share)
                    counter[feat] = counter.get(feat, 0.0) + weight
        for spec in charter.routing.boundaries:
            for text in spec.examples:
                raw.update(content_words(normalise(text)))
    return counts, raw


class _NaiveBayes:
    """Multinomial naive Bayes over the charters, with two adjustments for short messages:
    per-domain totals are equalised (a long charter is not penalised) and each word counts by
    how much it discriminates (1 - normalised entropy of its domain distribution), so words
    every charter uses ("plan", "new", "time") barely move the decision."""

    def __init__(self, counts: dict[str, dict[str, float]]) -> None:
        self.domains = list(counts)
        self.vocab: set[str] = set().union(*counts.values()) if counts else set()
        target = sum(sum(c.values()) for c in counts.values()) / max(len(counts), 1)
        denom = target + _ALPHA * len(self.vocab)
        self.unseen = {d: math.log(_ALPHA / denom) for d in counts}
        self.logp: dict[str, dict[str, float]] = {}
        for domain, counter in counts.items():
            scale = target / max(sum(counter.values()), 1e-9)
            self.logp[domain] = {
                f: math.log((n * scale + _ALPHA) / denom) for f, n in counter.items()
            }
        self._weights: dict[str, float] = {}

    def weight(self, feat: str) -> float:
        """How much a feature discriminates between domains, in [0, 1] (computed on demand)."""
        cached = self._weights.get(feat)
        if cached is not None:
            return cached
        if len(self.domains) < 2:
            return 1.0
        probs = [math.exp(self.logp[d].get(feat, self.unseen[d])) for d in self.domains]
        total = sum(probs)
        entropy = -sum(p / total * math.log(p / total) for p in probs)
        self._weights[feat] = weight = 1.0 - entropy / math.log(len(self.domains))
        return weight

    def evidence(self, tokens: list[str], best: str, runner: str, limit: int = 3) -> list[str]:
        """The message's words that most favour `best` over `runner`, strongest first."""
        scored: dict[str, float] = {}
        for token in tokens:
            feat = stem(token)
            if feat not in self.vocab or token in scored:
                continue
            lift = self.logp[best].get(feat, self.unseen[best])
            lift -= (
                self.logp[runner].get(feat, self.unseen[runner]) if runner else self.unseen[best]
            )
            if lift > 0:
                scored[token] = self.weight(feat) * lift
        return sorted(scored, key=lambda t: -scored[t])[:limit]

    def posteriors(
        self, feats: list[str], bonus: dict[str, float] | None = None
    ) -> list[tuple[str, float]]:
        """(domain, probability) best first; empty when no feature is known. `bonus` adds to a
        domain's log score (the owner of the action the message asks for)."""
        known = [f for f in feats if f in self.vocab]
        if not known and not bonus:
            return []
        scores = {
            d: sum(self.weight(f) * self.logp[d].get(f, self.unseen[d]) for f in known)
            + (bonus or {}).get(d, 0.0)
            for d in self.domains
        }
        top = max(scores.values())
        exp = {d: math.exp((s - top) / _TEMPERATURE) for d, s in scores.items()}
        total = sum(exp.values())
        return sorted(((d, e / total) for d, e in exp.items()), key=lambda x: -x[1])


class Router:
    """Routes free text to a domain using only the charters; build once, call `route` often."""

    def __init__(self, charters: CharterSet, model: RouteModel | None | bool = True) -> None:
        """`model`: True for the shipped learned model (when its file is there), a
        `RouteModel`, or None/False for the charters alone."""
        self.charters = charters
        learned = shipped() if model is True else model or None
        self._learned = learned
        # the learned model decides only among the domains whose charter is loaded
        self._known = (
            tuple(d for d in learned.domain.classes if d in charters.charters) if learned else ()
        )
        self.thresholds = Thresholds.of(learned)
        self._boundaries = _compile_boundaries(charters)
        self._mention = self._mention_patterns(charters.names())
        counts, raw = _count_features(charters)
        raw.update(w for w in STOPWORDS if w.isalpha())  # so "shoud" can become "should"
        self._spell = SpellIndex(raw)
        self._model = _NaiveBayes(counts)

    @staticmethod
    def _mention_patterns(names: list[str]) -> re.Pattern[str]:
        alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        return re.compile(
            rf"(?:^|[\s(\[])[#@](?P<a>{alt})\b"
            rf"|^\s*(?P<b>{alt})\s*(?::|>|-\s|—|–)|^\s*\[(?P<f>{alt})\]"
            rf"|\bfor (?:the )?(?P<c>{alt})(?: domain| agent| desk)?\s*[:,]"
            rf"|\b(?:to|ask|ping|tell|send (?:this|it) to) (?:the )?(?P<d>{alt}) (?:domain|agent|desk)\b"
            rf"|\b(?:the )?(?P<e>{alt}) domain\b",
            re.IGNORECASE,
        )

    def mentioned_domain(self, text: str) -> str | None:
        """The domain the text addresses explicitly, if any (in its first `MAX_ROUTED_CHARS`)."""
        match = self._mention.search(text[:MAX_ROUTED_CHARS])
        if not match:
            return None
        return next(v for v in match.groupdict().values() if v).lower()

    def _correct(self, norm: str) -> str:
        """Replace unknown words by a known word one typo away ("flihgt" -> "flight"), for the
        first `MAX_CORRECTED_WORDS` unknown words."""
        budget = [MAX_CORRECTED_WORDS]

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            if budget[0] <= 0 or stem(word) in self._model.vocab:
                return word
            budget[0] -= 1
            return self._spell.correct(word)

        return re.sub(r"[a-z]+", fix, norm)

    def _boundary(self, texts: tuple[str, ...], judged: bool) -> _CompiledBoundary | None:
        """The first charter limit the message crosses; a `when: judgement` limit only when
        the message asks for a judgement (`judged`)."""
        return next(
            (
                b
                for b in self._boundaries
                if (judged or b.spec.when == "always") and b.matches(texts)
            ),
            None,
        )

    def check_reply(self, text: str) -> RouteDecision | None:
        """A model's reply checked against every charter's limits (the global boundaries):
        the decision to decline it, or None when it crosses none. Any domain's limit counts,
        so a career agent cannot give a stock tip either."""
        plain = clean((text or "")[:MAX_ROUTED_CHARS])
        for b in self._boundaries:
            if any(p.search(plain) for p in b.answers):
                return RouteDecision(b.domain, 1.0, False, b.spec.description)
        return None

    def route(self, text: str) -> RouteDecision:
        """Decide where `text` goes, from its first `MAX_ROUTED_CHARS`; never raises on user
        input."""
        return decide(self.signals(text), self.thresholds)

    def signals(self, text: str) -> Signals:
        """Everything the decision is made from (`decide` makes it, given the thresholds)."""
        text = (text or "")[:MAX_ROUTED_CHARS]
        plain = clean(text)
        if not words(plain):
            return Signals(empty=True)
        fixed = self._correct(plain)
        judged = not licensed.asks_no_judgement(plain)
        limit = self._boundary((plain, fixed) if fixed != plain else (plain,), judged)
        finding = licensed.detect(plain)
        sig = Signals(
            limit=(limit.domain, limit.spec.description) if limit is not None else None,
            rule_area=finding.area if finding is not None else None,
            judged=judged,
            asks=licensed.asks_question(plain),
            length=(length := len(words(plain))),
            # read only for a short message (`Signals.learned_kind`): four large patterns
            topic=length < SHORT_WORDS and licensed.names_licensed_topic(plain),
            mention=self.mentioned_domain(text),
            hub=bool(_WHOLE_SYSTEM.search(plain)),
            attributed={a: d for a, d in _AREA_DOMAIN.items() if d in self.charters.charters},
        )
        corrected = normalise(fixed)
        tokens = content_words(corrected)
        sig.owners = tuple(d for d in owners(corrected) if d in self.charters.charters)
        bonus = {d: OWNER_BONUS for d in sig.owners}
        sig.nb = tuple(self._model.posteriors(features(tokens), bonus))
        if self._learned is not None:
            scores = self._learned.scores(self._learned.vector(plain))
            sig.boundary = _sigmoid(scores.boundary)
            sig.area = max(scores.area, key=lambda a: scores.area[a])
            sig.learned = {d: scores.domain[d] for d in self._known}
        sig.titles = {d: self.charters.get(d).title for d in self.charters.charters}
        ranked = sig.ranking()
        if len(ranked) >= 1:
            best, runner = ranked[0][0], ranked[1][0] if len(ranked) > 1 else ""
            sig.cues = tuple(self._model.evidence(tokens, best, runner))
        return sig


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


@dataclass(frozen=True)
class Thresholds:
    """When the learned boundary score declines, and when the router abstains (chosen by
    k-fold cross-validation in scripts/build_route_model.py and shipped in the model file)."""

    boundary: float = 1.01  # the learned boundary probability that declines (> 1: never)
    boundary_plain: float = 1.01  # the same, for a message that asks nothing
    boundary_short: float = 1.01  # the same, for a short question about a licensed subject
    confidence: float = MIN_CONFIDENCE
    margin: float = MIN_MARGIN
    weight: float = 1.0  # the learned domain scores' weight against the naive Bayes

    @classmethod
    def of(cls, model: RouteModel | None) -> Thresholds:
        if model is None:
            return cls()
        return cls(
            boundary=model.threshold("boundary", 1.01),
            boundary_plain=model.threshold("boundary_plain", 1.01),
            boundary_short=model.threshold("boundary_short", 1.01),
            confidence=model.threshold("confidence", MIN_CONFIDENCE),
            margin=model.threshold("margin", MIN_MARGIN),
            weight=model.threshold("weight", 1.0),
        )

    def learned_boundary(self, sig: Signals) -> float:
        """The learned boundary probability at which `sig`'s message is declined (> 1: never)."""
        kind = sig.learned_kind()
        return 1.01 if kind is None else float(getattr(self, kind))

    def as_dict(self) -> dict[str, float]:
        return {
            "boundary": self.boundary,
            "boundary_plain": self.boundary_plain,
            "boundary_short": self.boundary_short,
            "confidence": self.confidence,
            "margin": self.margin,
            "weight": self.weight,
        }


@dataclass
class Signals:
    """What the router found in one message."""

    empty: bool = False
    limit: tuple[str, str] | None = None  # a charter's own limit: (domain, its description)
    rule_area: str | None = None  # the rule detector's licensed area
    judged: bool = True  # the message asks for a judgement (not a command or a fact request)
    asks: bool = True  # the message asks something (a question, "should I", "X or Y")
    length: int = 0  # words in the message
    topic: bool = False  # a short message names a licensed subject (`names_licensed_topic`)
    mention: str | None = None
    hub: bool = False
    attributed: dict[str, str] = field(default_factory=dict)  # area -> loaded domain
    owners: tuple[str, ...] = ()
    nb: tuple[tuple[str, float], ...] = ()  # the charters' naive Bayes, best first
    learned: dict[str, float] = field(default_factory=dict)  # the model's domain scores
    boundary: float = 0.0  # the learned boundary probability
    area: str | None = None  # the learned area
    titles: dict[str, str] = field(default_factory=dict)
    cues: tuple[str, ...] = ()

    def learned_kind(self) -> str | None:
        """The `Thresholds` field the learned boundary score is compared with for this message:
        "boundary" (it asks something), "boundary_plain" (it only states) or "boundary_short"
        (it asks about a licensed subject in two to SHORT_WORDS - 1 words); None when that
        score never declines it: no model, one word, or a short message that asks nothing or
        names no licensed subject (a follow-up such as "is that ok?" or "safe?", which the
        learned score alone would decline)."""
        if not self.learned or self.length < 2:
            return None
        if self.length < SHORT_WORDS:
            return "boundary_short" if self.asks and self.topic else None
        return "boundary" if self.asks else "boundary_plain"

    def ranking(self, weight: float = 1.0) -> list[tuple[str, float]]:
        """(domain, probability) best first. Without a learned model: the naive Bayes. With
        one, a product of the two experts over the domains the model knows: softmax of
        `weight` × the model's score + the naive-Bayes log probability. A domain the model does
        not know (a charter added by a user) keeps its naive-Bayes probability, and the known
        ones share the rest of the mass."""
        if not self.learned:
            return list(self.nb)
        nb = dict(self.nb)
        if nb:
            floor = min(nb.values())
            joint = {
                d: weight * s + math.log(max(nb.get(d, floor), 1e-300))
                for d, s in self.learned.items()
            }
        else:
            joint = {d: weight * s for d, s in self.learned.items()}
        new = {d: p for d, p in nb.items() if d not in self.learned}
        rest = 1.0 - sum(new.values())
        merged = {**new, **{d: rest * p for d, p in softmax(joint).items()}}
        return sorted(merged.items(), key=lambda x: (-x[1], x[0]))


def decide(sig: Signals, th: Thresholds) -> RouteDecision:
    """The router's decision from its signals and thresholds."""
    if sig.empty:
        return RouteDecision(None, 0.0, True, "The message is empty; nothing to route.")
    if sig.limit is not None:
        return RouteDecision(sig.limit[0], 1.0, False, sig.limit[1])
    area = sig.rule_area
    # the learned boundary score declines at a threshold of its own for each kind of message
    # (`Thresholds.learned_boundary`): one that asks something, one that only states (a symptom
    # described and left hanging) and a short one about a licensed subject, chosen together out
    # of fold for the false-decline budget; a bare follow-up ("and after that?", "is that ok?")
    # is never declined by it (`Signals.learned_kind`)
    if area is None and sig.boundary >= th.learned_boundary(sig):
        area = sig.area
    if area is not None:
        return RouteDecision(sig.attributed.get(area), 1.0, False, _AREA_REASON[area])
    if sig.mention is not None:
        return RouteDecision(sig.mention, 1.0, True, f"You addressed the {sig.mention} domain.")
    if sig.hub:
        return RouteDecision(None, 1.0, True, _HUB_REASON, hub=True)
    ranked = sig.ranking(th.weight)
    if not ranked:
        return RouteDecision(None, 0.0, True, _no_match())
    (best, p1), (_, p2) = ranked[0], ranked[1] if len(ranked) > 1 else ("", 0.0)
    # the thresholds were chosen for the product of the two experts; a domain the model does
    # not know is scored by the naive Bayes alone, so the charters-only thresholds apply to it
    low, gap = (
        (th.confidence, th.margin)
        if not sig.learned or best in sig.learned
        else (MIN_CONFIDENCE, MIN_MARGIN)
    )
    if p1 < low or p1 - p2 < gap:
        if not sig.nb:  # no word of any charter, and the model is unsure too
            return RouteDecision(None, 0.0, True, _no_match())
        candidates = tuple(d for d, p in ranked[:3] if p >= 0.1) or (best,)
        reason = f"I am not sure which domain this belongs to: maybe {_or_list(candidates)}."
        return RouteDecision(None, p1, True, reason, candidates)
    cues = ", ".join(f"“{w}”" for w in sig.cues)
    title = sig.titles.get(best, best)
    reason = f"This looks like {title} work" + (f" ({cues})." if cues else ".")
    return RouteDecision(best, p1, True, reason, tuple(d for d, _ in ranked[:3]))


# A question about everything at once (issue 18, point 5): what to focus on, what is overdue or
# urgent, what is open or waiting, across the domains. The hub answers it from the board.
_WHOLE_SYSTEM = re.compile(
    r"^\W*(?:(?:hey|hi|ok|so|and|pls|please|quick q)\W+)?(?:"
    r"what (?:should|do|shall|must) (?:i|we) (?:focus on|work on|do|tackle|prioriti[sz]e|look at)"
    r"(?: first| next| now)?(?: today| this (?:morning|afternoon|week)| now| next| first)?"
    r"|where should i (?:start|focus)(?: today)?|what(?:'s|s| is| are)? (?:my |the )?(?:priorities|top priorit\w+|focus)"
    r"(?: (?:for )?today| this week)?"
    r"|what(?:'s|s| is| are)? (?:overdue|late|slipping|on fire|burning|urgent|pending|open|waiting"
    r"(?: on me)?|due(?: today| this week)?)"
    r"|(?:is )?anything (?:urgent|overdue|on fire|burning|due|pending|waiting(?: on me)?|i should know)"
    r"|any(?:thing)? (?:urgent|overdue|pressing) (?:stuff|things|items)?"
    r"|what needs (?:my attention|me|doing)(?: today)?|what(?:'s|s| is) on my plate(?: today)?"
    r"|(?:give me )?(?:a |the )?(?:rundown|overview|summary) of (?:everything|today|all)"
    r"|how(?:'s| is| are) everything(?: going)?|where do things stand"
    r"|top priorit\w+(?: today| this week)?|today'?s priorities|focus for today"
    r")\W*(?:today|now|this week|across (?:the )?(?:board|domains))?\W*$"
)
_HUB_REASON = "A question about the whole system: the hub answers it from the board."

_AREA_DOMAIN = {
    "investment": "finance",
    "clinical": "wellness",
    "legal": "legal",
    "safety": "travel",
}
_AREA_REASON = {
    "investment": "That asks for investment advice (what to buy, sell or hold, whether to put "
    "money in): a licensed financial adviser's judgement, which no domain gives.",
    "clinical": "That asks for a clinical judgement (doses, symptoms, interactions, medication): "
    "please ask a doctor or pharmacist; no domain gives medical advice.",
    "legal": "That asks for a legal opinion (enforceability, liability, who would win): a "
    "lawyer's judgement, which no domain gives.",
    "safety": "That asks for a safety-critical go/no-go call (weather, hazards, unrest): follow "
    "the official warnings and local authorities; no domain makes that call.",
}


def _no_match() -> str:
    return "I could not tie this to any domain's charter; which domain is it for?"


def _or_list(items: tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
