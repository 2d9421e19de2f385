"""Slash commands and menus in each member's language: names, descriptions, options, choices.

discord.py hands every command string to the tree's translator once per Discord locale when it
builds the payload; the answers become ``name_localizations``/``description_localizations``.
Names must stay valid for Discord (lowercase letters, digits, ``-`` and ``_``, at most 32), so a
translation that isn't is left out rather than failing the whole sync.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.domain.i18n import DISCORD_LOCALES, SOURCE, Text, language

# Catalogue contexts: names (strict rules) apart from descriptions and menu names (free text).
NAME_CONTEXT = "command-name"
TEXT_CONTEXT = "command"
_NAMES = (Where.command_name, Where.group_name, Where.parameter_name)
_LIMITS = {Where.choice_name: 100, Where.command_description: 100, Where.group_description: 100}
_BY_DISCORD_LOCALE = {locale: code for code, locales in DISCORD_LOCALES.items() for locale in locales}


def valid_name(name: str) -> bool:
    """Discord's rule for slash command and option names: ``^[-_\\p{L}\\p{N}]{1,32}$``, lowercase."""
    return 0 < len(name) <= 32 and all(ch.isalnum() or ch in "-_" for ch in name) and name == name.lower()


def context_of(location: Where, is_menu: bool) -> str:
    return NAME_CONTEXT if location in _NAMES and not is_menu else TEXT_CONTEXT


class CatalogueTranslator(app_commands.Translator):
    """Looks each command string up in the shipped catalogues (context ``command-name`` or ``command``)."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        code = _catalogue_for(locale)
        if code is None or code == SOURCE:
            return None
        is_menu = isinstance(context.data, app_commands.ContextMenu)
        location = context.location
        text = Text(string.message, context=context_of(location, is_menu))
        words = language(code)(text)
        if words == string.message:
            return None  # untranslated: Discord shows the English
        if location in _NAMES and not is_menu:
            return words if valid_name(words) else None
        limit = 32 if is_menu else _LIMITS.get(location, 100)
        return words if 0 < len(words) <= limit else None


def _catalogue_for(locale: discord.Locale) -> str | None:
    return _BY_DISCORD_LOCALE.get(str(locale.value))
