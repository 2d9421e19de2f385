"""Distress watch: noticing messages that suggest someone is struggling.

A match only ever produces a quiet card for moderators, never a public reply, so the
defaults in ``signals.toml`` favour precision: phrases about the writer's own state, with
common idioms ("this boss is killing me", "dying of laughter") left out or excluded.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from bot.domain.guidance.catalogue import DISTRESS_CATEGORIES

SIGNAL_KINDS = ("phrases", "patterns", "exclude_patterns")
PHRASE_MIN_CHARS = 3
PHRASE_MAX_CHARS = 200
PATTERN_MAX_CHARS = 500

# Straight, curly and look-alike apostrophes: "I'm", "I’m" and "Im" must all read the same.
_APOSTROPHES = re.compile("['’‘`´ʼ′]")
_SENTENCE_END = re.compile(r"[.!?;\n\r]+")
_OTHER_PUNCTUATION = re.compile(r"[^\w\s.]+")
_SPACES = re.compile(r"\s+")


def tidy(text: str) -> str:
    """The form signals are matched against (see ``signals.toml``): lower case, no apostrophes,
    sentence ends as `` . ``, other punctuation as spaces, single spaces."""
    text = _APOSTROPHES.sub("", text.casefold())
    text = _SENTENCE_END.sub(" . ", text)
    text = _OTHER_PUNCTUATION.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class DistressMatch:
    """Which category a message matched and the words that matched (in tidied form)."""

    category: str
    phrase: str


# The brief's name for the result of ``match_distress``.
Match = DistressMatch


@dataclass(frozen=True)
class _CategorySignals:
    category: str
    signals: tuple[re.Pattern[str], ...]
    excludes: tuple[re.Pattern[str], ...]

    def first_match(self, tidied: str) -> str | None:
        excluded = [m.span() for pattern in self.excludes for m in pattern.finditer(tidied)]
        found: list[re.Match[str]] = []
        for pattern in self.signals:
            found.extend(
                m for m in pattern.finditer(tidied) if m.group().strip() and not _overlaps(m.span(), excluded)
            )
        if not found:
            return None
        earliest = min(found, key=lambda m: m.start())
        return earliest.group().strip(" .")


def _overlaps(span: tuple[int, int], others: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


@dataclass(frozen=True)
class DistressSignals:
    """Compiled signals for every distress category, checked in ``DISTRESS_CATEGORIES`` order."""

    categories: tuple[_CategorySignals, ...]
    # Every signal of every category as one alternation: most messages match nothing, and one
    # search tells so (the exact, per-category rules run only when it finds something).
    anything: re.Pattern[str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.anything is None:
            object.__setattr__(self, "anything", _alternation(self.categories))

    def match(self, text: str) -> DistressMatch | None:
        tidied = tidy(text)
        if not tidied or (self.anything is not None and self.anything.search(tidied) is None):
            return None
        for category in self.categories:
            phrase = category.first_match(tidied)
            if phrase:
                return DistressMatch(category.category, phrase)
        return None


_WORD_START = (r"(?<!\w)", r"\b")


def _alternation(categories: Iterable[_CategorySignals]) -> re.Pattern[str] | None:
    """One pattern matching wherever any signal does (each keeps its own flags), tried only
    where a word starts; None when some signal can't be combined so (an owner's pattern that
    doesn't start at a word, or uses global flags): then every message takes the exact path."""
    parts = []
    for category in categories:
        for pattern in category.signals:
            if not pattern.pattern.startswith(_WORD_START):
                return None
            flags = "i" if pattern.flags & re.IGNORECASE else ""
            parts.append(f"(?{flags}:{pattern.pattern})" if flags else f"(?:{pattern.pattern})")
    if not parts:
        return re.compile(r"(?!)")  # matches nothing
    try:
        return re.compile(r"\b(?=\w)(?:" + "|".join(parts) + ")")
    except re.error:
        return None


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(tidy(phrase)) + r"(?!\w)")


def _compile(table: Mapping[str, Any]) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
    signals = [_phrase_pattern(p) for p in table.get("phrases", [])]
    signals += [re.compile(p, re.IGNORECASE) for p in table.get("patterns", [])]
    excludes = [re.compile(p, re.IGNORECASE) for p in table.get("exclude_patterns", [])]
    return signals, excludes


@functools.cache
def _default_tables() -> dict[str, Any]:
    source = resources.files("bot.domain.guidance").joinpath("signals.toml").read_text(encoding="utf-8")
    tables: dict[str, Any] = tomllib.loads(source)["signals"]
    return tables


def load_signals(custom: Mapping[str, Any] | None = None) -> DistressSignals:
    """The default signals, plus an owner's extra phrases and patterns per category.

    ``custom`` must have passed :func:`signal_problems`; otherwise ``ValueError``.
    """
    custom = custom or {}
    problems = signal_problems(custom)
    if problems:
        raise ValueError("distress signals cannot be used:\n" + "\n".join(problems))
    defaults = _default_tables()
    categories = []
    for category in DISTRESS_CATEGORIES:
        signals, excludes = _compile(defaults.get(category, {}))
        extra_signals, extra_excludes = _compile(custom.get(category, {}))
        categories.append(
            _CategorySignals(category, tuple(signals + extra_signals), tuple(excludes + extra_excludes))
        )
    return DistressSignals(tuple(categories))


@functools.cache
def default_signals() -> DistressSignals:
    return load_signals()


def match_distress(text: str, signals: DistressSignals | None = None) -> DistressMatch | None:
    """The first distress category ``text`` matches (crisis first), or ``None``.

    Case, punctuation and apostrophe style don't matter.
    """
    return (signals or default_signals()).match(text)


def signal_problems(custom: Mapping[str, Any]) -> list[str]:
    """Everything wrong with an owner's extra signals; empty when they can be used.

    ``custom`` looks like ``{"crisis": {"phrases": [...], "patterns": [...]}}``. Problems start at
    the category (``crisis.patterns[0]: …``); the caller adds where the table sits.
    """
    if not isinstance(custom, Mapping):
        return ["must be a table of distress categories, like [signals.crisis]"]
    problems: list[str] = []
    for category, table in custom.items():
        if category not in DISTRESS_CATEGORIES:
            problems.append(f"{category}: {_unknown(category, DISTRESS_CATEGORIES, 'distress category')}")
            continue
        if not isinstance(table, Mapping):
            problems.append(f"{category}: must be a table with {', '.join(SIGNAL_KINDS)}")
            continue
        for kind, values in table.items():
            at = f"{category}.{kind}"
            if kind not in SIGNAL_KINDS:
                problems.append(f"{at}: {_unknown(kind, SIGNAL_KINDS, 'key')}")
            elif not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                problems.append(f'{at}: must be a list of text, like ["first", "second"]')
            else:
                check = _phrase_problem if kind == "phrases" else _pattern_problem
                for index, value in enumerate(values):
                    problem = check(value)
                    if problem:
                        problems.append(f"{at}[{index}]: {problem}")
    return problems


def _unknown(name: str, known: Iterable[str], what: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"unknown {what} ({hint}known: {', '.join(known)})"


def _phrase_problem(phrase: str) -> str | None:
    tidied = tidy(phrase)
    if not tidied.strip(" ."):
        return "must contain words"
    if len(tidied) < PHRASE_MIN_CHARS:
        return f"{phrase!r} is too short to be a clear signal; use a few words, like 'i cant cope'"
    if len(phrase) > PHRASE_MAX_CHARS:
        return f"is {len(phrase)} characters; at most {PHRASE_MAX_CHARS} make sense for a phrase"
    return None


def _pattern_problem(pattern: str) -> str | None:
    if len(pattern) > PATTERN_MAX_CHARS:
        return f"is {len(pattern)} characters; at most {PATTERN_MAX_CHARS} fit"
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        where = f" at position {error.pos}" if error.pos is not None else ""
        return f"{pattern!r} is not a valid regular expression ({error.msg}{where})"
    if compiled.search("") or any(not m.group() for m in compiled.finditer("a b . c")):
        return f"{pattern!r} can match empty text, so it would match every message"
    if _APOSTROPHES.search(pattern):
        return f"{pattern!r} contains an apostrophe; messages are matched without them (can't reads as cant)"
    return None
