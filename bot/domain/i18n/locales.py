"""Which languages Tend speaks, and how a Discord locale finds one of them.

Discord sends a member's client language with every interaction (``es-ES``, ``pt-BR``,
``en-GB``…) and a server's preferred locale with its guild. Tend answers in the first of
these it has a catalogue for: the member's, then the server's, then English.
"""

from __future__ import annotations

from babel import Locale

SOURCE = "en"
# The catalogues Tend ships (bot/domain/i18n/catalogues/<code>.po), by Tend's code for each.
SUPPORTED: tuple[str, ...] = ("en", "es", "pt-BR", "fr", "de")

# Discord's locales (its OpenAPI spec's AvailableLocalesEnum) that each catalogue serves.
DISCORD_LOCALES: dict[str, tuple[str, ...]] = {
    "en": ("en-US", "en-GB"),
    "es": ("es-ES", "es-419"),
    "pt-BR": ("pt-BR",),
    "fr": ("fr",),
    "de": ("de",),
}


def supported(locale: str | None) -> str | None:
    """Tend's language for a Discord locale (``es-419`` → ``es``), or None when Tend has none."""
    if not locale:
        return None
    code = str(locale).strip().replace("_", "-")
    lowered = code.casefold()
    for language in SUPPORTED:
        if lowered == language.casefold():
            return language
    base = lowered.split("-", 1)[0]
    # Brazilian Portuguese serves Portuguese speakers elsewhere better than English would.
    if base == "pt":
        return "pt-BR"
    return base if base in SUPPORTED and base != "pt" else None


def choose(*locales: str | None) -> str:
    """The first of ``locales`` Tend speaks (member's, then server's), else English."""
    for locale in locales:
        found = supported(locale)
        if found is not None:
            return found
    return SOURCE


def babel_locale(code: str) -> Locale:
    return Locale.parse(code.replace("-", "_"))


def language_name(code: str | None, in_language: str = SOURCE) -> str:
    """The name of ``code``'s language written in ``in_language``: ``("es-ES", "en")`` → ``Spanish``.

    Unknown codes (a Discord locale Tend has no catalogue for) are still named when CLDR knows them.
    """
    if not code:
        return "?"
    try:
        name = babel_locale(code).get_language_name(babel_locale(in_language))
    except (ValueError, TypeError):
        return code
    return (name or code)[:1].upper() + (name or code)[1:]
