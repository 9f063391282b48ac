"""The ownership rules for two-domain messages (issue 18, point 2): the owner is the domain that
owns the action asked for, not the topic mentioned. Each rule is a general cue for an action
(booking, paying, signing, publishing...) and the domain of the shipped set that owns it; the
router adds a fixed bonus to that domain's score, so a charter's own text still decides when
no cue is present, and a charter added by a user is unaffected."""

from __future__ import annotations

import re

_RULES: tuple[tuple[str, str], ...] = (
    (
        "travel",
        r"\b(?:book|rebook|reserve|reservation|change|move)\b.{0,40}\b(?:flights?|hotels?|trains?"
        r"|rooms?|trip|tickets?|seats?|airbnb|stay|rental|car|cab|taxi|transfer|hostel|ferry|bus)\b"
        r"|\bcheck[- ]in for\b",
    ),
    (
        "finance",
        r"^(?:pls |please )?(?:pay|paga|pague|zahl\w*)\b|\b(?:refund|reimburs\w*|money back"
        r"|reembolso|remboursement|erstattung|chargeback|pay (?:the|my|for the|our) \w+ (?:fee|bill|invoice))\b",
    ),
    (
        "legal",
        r"\b(?:signature|signatures|e-?sign\w*|docusign|countersign\w*|takedown|dmca|cease and desist"
        r"|signed (?:contract|agreement|copy|lease|nda)|file (?:a|the|our) (?:trademark|patent|claim|complaint))\b",
    ),
    (
        "content",
        r"^(?:thread|tweet|post|newsletter|blog)\b|\b(?:write|draft|publish|schedule) (?:a |an |the |my )?"
        r"(?:\w+ )?(?:post|announcement|thread|newsletter|article|blog|tweet|caption|essay)\b"
        r"|\bnewsletter (?:issue|edition|piece)\b|\bpublish\w*\b",
    ),
    (
        "venture",
        r"\b(?:runway|burn|burn rate|cap table|option pool|post-money|pre-money|(?:\d+m|\d+k) post"
        r"|our (?:company|startup|product|team|hires?|first hire|positioning|pitch|deck|round|investors?|customers?)"
        r"|raise \$?\d|full-time hires?|headcount)\b",
    ),
    (
        "career",
        r"\b(?:bio|speaker bio|headshot|board seat|on (?:their|the|a) board|advis[eo]r (?:role|for|to)"
        r"|day rate|speaking fee|fee for (?:the|a|my) talk|my (?:role|career|title|resume|cv)|job offer)\b",
    ),
    (
        "learning",
        r"\b(?:book list|reading (?:list|plan)|plan to (?:understand|learn)|learn(?:ing)? (?:to|how)"
        r"|study plan|course on|practi[cs]e (?:my|plan)|flashcards|curriculum)\b",
    ),
    (
        "wellness",
        r"\b(?:sleep|workouts?|work out|working out|stretch\w*|running routes?|jet lag|screen time"
        r"|meal plan|meals|diet|calories|protein|steps|gym routine|actually go)\b",
    ),
)
_COMPILED = tuple((domain, re.compile(pattern)) for domain, pattern in _RULES)


def owners(text: str) -> list[str]:
    """The domains whose action cue appears in `text` (normalised lowercase), in rule order."""
    return [domain for domain, pattern in _COMPILED if pattern.search(text)]
