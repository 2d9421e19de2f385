"""Text that is translated when it is written for someone, not when the code runs.

``_("Close this thread")`` marks a sentence for the catalogues and returns a :class:`Text`;
a :class:`~bot.domain.i18n.catalogues.Language` turns it into words for one reader. Services
raise errors carrying a ``Text``; the reply is rendered in the language of the person who
receives it. ``str()`` of a ``Text`` is its English, for logs and for code that has no reader.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, eq=False)
class Text:
    """A sentence to translate: the catalogue's ``msgid`` (English) and the values to fill in.

    ``context`` separates sentences that read the same in English but not elsewhere (and names
    each library message: ``messages.support_welcome``). ``plural``/``count`` pick the plural form
    by each language's rules. ``overrides`` are an owner's own texts, by language code.
    """

    msgid: str
    values: Mapping[str, Any] = field(default_factory=dict)
    context: str | None = None
    plural: str | None = None
    count: int | None = None
    overrides: Mapping[str, str] = field(default_factory=dict)

    def english(self) -> str:
        template = self.overrides.get("en") or (
            self.plural if self.plural is not None and self.count != 1 else self.msgid
        )
        return fill(template, self.values, "en") or fill(self.msgid, self.values, "en") or self.msgid

    def __str__(self) -> str:
        return self.english()

    def with_values(self, **values: Any) -> Text:
        return Text(
            self.msgid, {**self.values, **values}, self.context, self.plural, self.count, self.overrides
        )


def _(msgid: str, /, **values: Any) -> Text:
    """Mark ``msgid`` (English) for translation; ``{name}`` placeholders are filled from ``values``."""
    return Text(msgid, values)


def N_(singular: str, plural: str, count: int, /, **values: Any) -> Text:
    """A sentence with plural forms: ``N_("{n} day", "{n} days", n, n=n)``."""
    return Text(singular, values, plural=plural, count=count)


def P_(context: str, msgid: str, /, **values: Any) -> Text:
    """Like :func:`_`, with a context for words that translate differently by use ("Close" a thread)."""
    return Text(msgid, values, context=context)


def fill(template: str, values: Mapping[str, Any], code: str) -> str | None:
    """``template`` with its placeholders filled (nested ``Text`` rendered in ``code``), or None when
    it can't be (a placeholder without a value, a stray brace): the caller falls back to English."""
    from bot.domain.i18n.catalogues import language

    try:
        names = [name for _lit, name, _spec, _conv in string.Formatter().parse(template) if name is not None]
    except ValueError:
        return None
    rendered: dict[str, Any] = {}
    for name in names:
        key = name.split(".", 1)[0].split("[", 1)[0]
        if key not in values:
            return None
        value = values[key]
        rendered[key] = language(code)(value) if isinstance(value, Text) else value
    try:
        return template.format_map(rendered)
    except (KeyError, ValueError, IndexError, AttributeError):
        return None
