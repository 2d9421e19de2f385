"""What a config enables, in a few lines: ``tend check-config`` and ``tend setup`` print it."""

from __future__ import annotations

from bot.domain.config import Settings
from bot.domain.i18n import SUPPORTED


def summarise(settings: Settings) -> list[str]:
    """What the config enables, per guild, in a few lines."""
    bot = settings.bot
    db = settings.database_url.split("://", 1)[0]
    lines = [f"database: {db}; commands sync: {bot.command_sync}; shards: {bot.shard_count or 'auto'}"]
    if bot.api_base_url != "https://discord.com/api/v10":
        lines.append(f"REST API through {bot.api_base_url}")
    for guild in settings.guilds:
        label = f"{guild.name} ({guild.id})" if guild.name else str(guild.id)
        features = ", ".join(guild.features.enabled()) or "none"
        lines.append(f"guild {label}: features {features}")
        lines.append(
            f"  {len(guild.moderator_roles)} moderator role(s), queue {guild.channels.queue}, "
            f"support {guild.channels.support}, {len(guild.rules)} rule(s), "
            f"{len(guild.resources)} resource(s), time zone {guild.timezone}"
        )
        lines.append(f"  team language {guild.language}; members each in their own ({', '.join(SUPPORTED)})")
        if guild.features.distress_watch and not bot.message_content_intent:
            lines.append(
                "  note: distress watch is on but bot.message_content_intent is false, so the watch stays off"
            )
    return lines
