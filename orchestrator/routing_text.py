"""Text handling for the offline router: normalising, tokenising, stemming, typo correction.

Pure Python and deterministic; the same functions process charter text and user messages, so
whatever they do to one they do to the other.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

_EMOJI = r"[\U0001F000-\U0001FAFF\u2300-\u23FF\u2600-\u27BF\u2B00-\u2BFF]"
_TOKEN = re.compile(rf"[a-z0-9]+|{_EMOJI}")
_JOINS = [  # (cheap trigger, pattern, replacement)
    ("1", re.compile(r"\b1\s*(?::|on|-on-)\s*1s?\b"), " oneonone "),
    ("one", re.compile(r"\bone[\s-]on[\s-]ones?\b"), " oneonone "),
    ("-", re.compile(r"\b([a-z])-(?=[a-z0-9])"), r"\1"),  # e-visa, w-2, x-ray
    ("'", re.compile(r"(?<=[a-z])'(?:s|re|ve|ll|d|m|t)\b"), ""),  # possessives, contractions
]
_SPACE = re.compile(r"\s+")
_PUNCTUATION = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)

_STOPWORD_TEXT = """
a about above after again all also am an and any are as at be because been before being
below between both but by can could did do does doing done down during each either else etc
even ever every few for from further get gets getting go got had has have having he her here
hers him his how i if in into is it its itself just let like may me might mine more most
much must my myself need needs no nor not now of off on once one only or other our ours out
over own please pls plz put re really same shall she should so some still such than thanks
that the their theirs them then there these they thing things this those though through thx
to too under until up upon us very via want wanna was we were what whats when where whether
which while who whom whose why will with would yet you your yours hey hi hello ok okay yes
gonna gotta lets can't cant dont don't im i'm ive i've id i'd ill i'll youre you're isnt
doesnt didnt wont wouldnt shouldnt couldnt aint ya u ur
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_SUFFIXES = ("ingly", "ings", "ing", "edly", "ed", "ies", "es", "s", "ly")


def clean(text: str) -> str:
    """Lowercase, strip accents, straighten quotes and dashes, collapse spaces (for patterns)."""
    text = text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch) and ch != "\ufe0f")
        text = text.translate(_PUNCTUATION)
    return _SPACE.sub(" ", text).strip()


def normalise(text: str) -> str:
    """`clean`, then join known compounds and drop contractions (for tokenising)."""
    text = clean(text)
    for trigger, pattern, repl in _JOINS:
        if trigger in text:
            text = pattern.sub(repl, text)
    return text


def words(normalised: str) -> list[str]:
    """Word and emoji tokens of already-normalised text (stopwords kept)."""
    return _TOKEN.findall(normalised)


MAX_CACHED_WORD = 64  # longer words are stemmed but not cached (they would pin the memory)


def stem(word: str) -> str:
    """A light suffix stripper: booking/booked/books -> book, invoicing/invoice -> invoic."""
    return _stem(word) if len(word) <= MAX_CACHED_WORD else _stem.__wrapped__(word)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            if suffix in ("ing", "ed", "ings", "edly") and len(word) >= 4 and word[-1] == word[-2]:
                word = word[:-1]  # running -> run, planned -> plan
            break
    if word.endswith("e") and len(word) >= 4:
        word = word[:-1]
    return word


def content_words(normalised: str) -> list[str]:
    """Tokens that carry meaning: no stopwords, no single letters (digits and emoji kept)."""
    return [w for w in words(normalised) if w not in STOPWORDS and (len(w) > 1 or not w.isalpha())]


def features(tokens: Iterable[str]) -> list[str]:
    """Stemmed unigrams plus adjacent-pair bigrams ("book~flight")."""
    stems = [stem(t) for t in tokens]
    return stems + [f"{a}~{b}" for a, b in zip(stems, stems[1:], strict=False) if a != b]


class SpellIndex:
    """Typo correction towards a known vocabulary: one insertion, deletion, substitution or
    transposition away (Norvig's method; nothing to precompute, ~50 µs a word).

    A word more than one letter longer than the longest known word is one no edit can bring
    to a known word, so it is returned unchanged without building its edits: that keeps the
    cost of a word bounded by the vocabulary, not by the word (the edits of a word of length L
    are ~54·L strings of length L)."""

    MIN_LEN = 5
    MIN_SUBSTITUTION_LEN = 7
    _LETTERS = "abcdefghijklmnopqrstuvwxyz"

    CACHE_SIZE = 4096

    def __init__(self, vocabulary: Counter[str]) -> None:
        self.vocabulary = vocabulary
        self.max_len = max(map(len, vocabulary), default=0) + 1  # one insertion away
        self._cache: dict[str, str] = {}

    def _edits(self, word: str) -> set[str]:
        """Words one deletion, transposition or insertion away; substitutions only for words
        of 7+ letters, so short real words are not "fixed" into others (stuck -> stock)."""
        splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
        out = {a + b[1:] for a, b in splits if b}
        out.update(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1)
        out.update(a + c + b for a, b in splits for c in self._LETTERS)
        if len(word) >= self.MIN_SUBSTITUTION_LEN:
            out.update(a + c + b[1:] for a, b in splits if b for c in self._LETTERS)
        return out

    def correct(self, word: str) -> str:
        """The most frequent known word within one edit, else the word unchanged."""
        if word in self.vocabulary or not self.MIN_LEN <= len(word) <= self.max_len:
            return word  # known, too short to correct safely, or too long to be one edit away
        if not word.isalpha():
            return word
        fixed = self._cache.get(word)
        if fixed is None:
            candidates = [c for c in self._edits(word) if c in self.vocabulary and len(c) >= 4]
            fixed = max(candidates, key=lambda c: (self.vocabulary[c], c)) if candidates else word
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            self._cache[word] = fixed
        return fixed
