"""The shipped catalogues (gettext ``.po``, read with Babel) and rendering text for one reader.

Why ``.po`` and Babel: it is the format translators already work in (Weblate, Crowdin, Poedit
open it as is), it keeps the English beside each translation and a context per sentence, and
Babel reads it directly (``babel.messages.pofile.read_po``), so there is no compile step and
no ``.mo`` file to forget; plural forms follow each language's ``Plural-Forms`` rule.

The English text is the ``msgid`` (there is no English catalogue to keep in step). A fuzzy or
empty translation is not used: the reader gets the English rather than a stale sentence.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.domain.i18n.locales import SOURCE, SUPPORTED, babel_locale, language_name
from bot.domain.i18n.text import Text, fill


def catalogue_file(code: str) -> str:
    """``pt-BR`` → ``pt_BR.po`` (gettext's spelling of a locale in file names)."""
    return code.replace("-", "_") + ".po"


@functools.cache
def catalogue(code: str) -> Catalog | None:
    """The shipped catalogue for ``code`` (None for English, the source language)."""
    if code == SOURCE or code not in SUPPORTED:
        return None
    source = resources.files("bot.domain.i18n").joinpath("catalogues", catalogue_file(code))
    with source.open("rb") as handle:
        return read_po(handle, locale=code.replace("-", "_"), ignore_obsolete=True)


@functools.cache
def _plural_rule(code: str) -> Callable[[int], int]:
    found = catalogue(code)
    expression = found.plural_expr if found is not None else "(n != 1)"
    return gettext.c2py(expression)


def translated(code: str, text: Text) -> str:
    """The template ``text`` uses in ``code`` (unfilled): the owner's, the catalogue's, or English."""
    if code in text.overrides:
        return text.overrides[code]
    singular = text.overrides.get(SOURCE, text.msgid) if code == SOURCE else text.msgid
    english_plural = text.plural if text.plural is not None else singular
    many = text.count is not None and text.count != 1 and text.plural is not None
    english = english_plural if many else singular
    found = catalogue(code)
    if found is None:
        return english
    key: Any = (text.msgid, text.plural) if text.plural is not None else text.msgid
    message = found.get(key, context=text.context)
    if message is None or message.fuzzy or not message.string:
        return english
    if isinstance(message.string, tuple | list):
        forms = list(message.string)
        index = _plural_rule(code)(text.count if text.count is not None else 1)
        chosen = forms[index] if 0 <= index < len(forms) else ""
        return chosen or english
    return str(message.string)


@dataclass(frozen=True)
class Language:
    """Renders :class:`Text` for one reader. ``code`` is one of :data:`SUPPORTED`.

    ``discord_locale`` is what the reader's Discord said, kept to tell moderators which language a
    member writes in even when Tend answers them in another.
    """

    code: str
    discord_locale: str | None = None

    def __call__(self, text: Text | str | None) -> str:
        if text is None:
            return ""
        if not isinstance(text, Text):
            return text  # already words for a reader: an owner's config text, a member's words
        template = translated(self.code, text)
        done = fill(template, text.values, self.code)
        return done if done is not None else text.english()

    @property
    def name(self) -> str:
        """The reader's own language, named in English ("Spanish")."""
        return language_name(self.discord_locale or self.code)

    def name_in(self, other: Language) -> str:
        """This reader's language named in ``other``'s language ("Spanish", "Spanisch")."""
        return language_name(self.discord_locale or self.code, other.code)

    @property
    def babel(self) -> Any:
        return babel_locale(self.code)


@functools.cache
def language(code: str) -> Language:
    """The :class:`Language` for one of Tend's codes (an unknown one gets English)."""
    return Language(code if code in SUPPORTED else SOURCE)


ENGLISH = language(SOURCE)
