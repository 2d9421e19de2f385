"""Fitting text into Discord's limits, and neutralising mentions in text members wrote.

AllowedMentions.none() already stops pings; neutralising also stops a quoted
``@everyone`` from *looking* like a ping in a moderator card.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"
_MASS_MENTION = re.compile(r"@(everyone|here)")
_ID_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")
_MARKDOWN = re.compile(r"[\\*_~`|>#\[\]]")


def fit(text: str, limit: int) -> str:
    """``text`` shortened to at most ``limit`` characters, marked with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def neutralise_mentions(text: str) -> str:
    """Break @everyone/@here and <@id>-style mentions with a zero-width space so they render inert."""
    text = _MASS_MENTION.sub("@\u200b\\1", text)
    return _ID_MENTION.sub(lambda m: f"<{m.group(1)}\u200b{m.group(2)}>", text)


def inert_line(text: str, limit: int) -> str:
    """Member text for one line Tend draws (a card's title): on one line, no mentions, no
    Markdown, fitted."""
    flat = " ".join(text.split())
    escaped = _MARKDOWN.sub(r"\\\g<0>", neutralise_mentions(flat))
    return fit(escaped, limit)


def quote(text: str, limit: int) -> str:
    """Member text as a Markdown quote block, neutralised and fitted."""
    body = neutralise_mentions(text.strip()) or "(empty)"
    quoted = "\n".join("> " + line for line in body.splitlines())
    return fit(quoted, limit)


def matches(query: str, *candidates: str) -> bool:
    """Case-insensitive substring match used by autocomplete."""
    needle = query.strip().casefold()
    return not needle or any(needle in c.casefold() for c in candidates)
