"""Resolve the names agents use ("Phoenix", "Sarah") to Clockodo ids, never guessing."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal["customer", "project", "service", "user", "team", "lump_sum_service"]

_EXACT = 1.0
_FOLDED = 0.95
_WORD_PREFIX = 0.9
_SUBSTRING = 0.75
_CONTAINS_NAME = 0.85
_SUGGEST = 0.55


@dataclass(frozen=True, slots=True)
class Candidate:
    """Something a name can refer to."""

    kind: Kind
    id: int
    name: str
    active: bool = True
    context: str | None = None  # e.g. the customer of a project, the team of a user
    aliases: tuple[str, ...] = ()  # e.g. number, e-mail, initials


@dataclass(frozen=True, slots=True)
class ScoredCandidate:
    """A candidate with how well it matches the query (1.0 exact … 0.0 unrelated)."""

    candidate: Candidate
    score: float

    def label(self) -> str:
        """'Phoenix (project 17, customer Acme, archived)'."""
        c = self.candidate
        extras = [f"{c.kind.replace('_', ' ')} {c.id}"]
        if c.context:
            extras.append(c.context)
        if not c.active:
            extras.append("archived")
        return f"{c.name} ({', '.join(extras)})"


class NameResolutionError(LookupError):
    """Base for resolution failures; the message lists what to do next."""

    def __init__(self, query: str, kind: str, candidates: Sequence[ScoredCandidate] = ()) -> None:
        self.query = query
        self.kind = kind
        self.candidates = list(candidates)
        super().__init__(self.message())

    def __str__(self) -> str:
        return self.message()

    def message(self) -> str:
        """Human-readable explanation."""
        raise NotImplementedError


class NoMatch(NameResolutionError):
    """Nothing matches the name."""

    def message(self) -> str:
        """Explain, with suggestions when there are near misses."""
        base = f"No {self.kind.replace('_', ' ')} matches '{self.query}'."
        if self.candidates:
            options = "; ".join(c.label() for c in self.candidates[:5])
            return f"{base} Did you mean: {options}? Call again with the exact name or the id."
        return f"{base} Use the lookup tool to search names, or pass the numeric id."


class Ambiguous(NameResolutionError):
    """Several things match equally well."""

    def message(self) -> str:
        """List the candidates so the agent (or the user) can pick one."""
        options = "; ".join(c.label() for c in self.candidates[:10])
        more = f" (and {len(self.candidates) - 10} more)" if len(self.candidates) > 10 else ""
        return (
            f"'{self.query}' is ambiguous: it matches {len(self.candidates)} "
            f"{self.kind.replace('_', ' ')}s: {options}{more}. Ask which one is meant, then pass its id "
            "or its full name."
        )


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _words(plain.casefold())


# German spells an umlaut as its letter plus "e" when the keyboard has none ("Mueller" for "Müller").
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def _words(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text).strip()


def caseless(text: str) -> str:
    """Case-folded (ß → ss) with accents kept: the key of an exact match."""
    return _words(unicodedata.normalize("NFC", text.casefold()))


def folds(text: str) -> tuple[str, ...]:
    """The spellings a name may be typed as: accents stripped ("Muller") and German umlauts spelled out ("Mueller")."""
    german = normalize(caseless(text).translate(_GERMAN))
    plain = normalize(text)
    return (plain,) if german == plain else (plain, german)


def score(query: str, candidate: Candidate) -> float:
    """How well `query` names `candidate`.

    Exact (ignoring case) 1.0; equal once accents are stripped or umlauts spelled out 0.95; word prefixes
    0.9; all of the name's words 0.85; substring 0.75; else a fuzzy ratio (at most 0.8).
    """
    exact = caseless(query)
    queries = [q for q in folds(query) if q]
    if not exact or not queries:
        return 0.0
    best = 0.0
    for name in (candidate.name, *candidate.aliases):
        if exact == caseless(name):
            return _EXACT
        for n in filter(None, folds(name)):
            best = max(best, *(_fuzzy(q, n) for q in queries))
    return best


def _fuzzy(q: str, n: str) -> float:
    """The score of one folded query against one folded name."""
    if q == n:
        return _FOLDED
    q_words, n_words = q.split(), n.split()
    if all(any(w.startswith(qw) for w in n_words) for qw in q_words):
        return _WORD_PREFIX
    if all(w in q_words for w in n_words):
        return _CONTAINS_NAME  # "phoenix project" names "Phoenix", but is not exact
    if q in n:
        return _SUBSTRING
    return round(difflib.SequenceMatcher(None, q, n).ratio() * 0.8, 3)


def rank(query: str, candidates: Iterable[Candidate]) -> list[ScoredCandidate]:
    """Every candidate scoring above zero, best first (active before archived on ties)."""
    scored = [ScoredCandidate(c, score(query, c)) for c in candidates]
    scored = [s for s in scored if s.score > 0.0]
    scored.sort(key=lambda s: (-s.score, not s.candidate.active, s.candidate.name.casefold(), s.candidate.id))
    return scored


def resolve(query: str | int, candidates: Sequence[Candidate], kind: str) -> Candidate:
    """The one candidate `query` names, by id or by name; raises `NoMatch` or `Ambiguous`.

    Only an exact name (or alias), one equal to it once case, accents and umlauts are folded, or an
    unambiguous word-prefix match is accepted: a typo is an error with suggestions, never a guess.
    """
    if isinstance(query, int) or (isinstance(query, str) and query.strip().isdigit()):
        wanted = int(query)
        for c in candidates:
            if c.id == wanted:
                return c
        raise NoMatch(str(query), kind, [])
    ranked = rank(query, candidates)
    # An exact spelling beats one that is only equal once folded: with both "Müller" and "Muller" on the
    # books, "Muller" means Muller; "Mueller" names Müller alone, but "Mùller" would be ambiguous.
    for tier in (_EXACT, _FOLDED):
        matches = [s for s in ranked if s.score >= tier]
        if len(matches) == 1:
            return matches[0].candidate
        if len(matches) > 1:
            active = [s for s in matches if s.candidate.active]
            if len(active) == 1:
                return active[0].candidate
            raise Ambiguous(query, kind, matches)
    prefix = [s for s in ranked if s.score >= _WORD_PREFIX]
    if len(prefix) == 1:
        return prefix[0].candidate
    if len(prefix) > 1:
        raise Ambiguous(query, kind, prefix)
    raise NoMatch(query, kind, [s for s in ranked if s.score >= _SUGGEST][:5])
