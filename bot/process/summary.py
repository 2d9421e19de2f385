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
        if guild.hours is not None:
            lines.append("  team hours set: outside them members are told when to expect a reply")
        if guild.appeals.timeouts or guild.appeals.appeals_server:
            where = f", ban appeals in {guild.appeals.appeals_server}" if guild.appeals.appeals_server else ""
            lines.append(f"  appeals: timeouts {'on' if guild.appeals.timeouts else 'off'}{where}")
            if guild.appeals.timeouts and not bot.members_intent:
                lines.append("  note: timeout reviews need bot.members_intent = true, so they stay off")
        if not bot.message_content_intent:
            lines.append(
                "  note: bot.message_content_intent is false, so case transcripts record who wrote "
                "when but not what"
            )
        lines.append(f"  team language {guild.language}; members each in their own ({', '.join(SUPPORTED)})")
        if guild.features.distress_watch and not bot.message_content_intent:
            lines.append(
                "  note: distress watch is on but bot.message_content_intent is false, so the watch stays off"
            )
        if guild.features.support and guild.dms.enabled:
            relay = "with the DM relay" if guild.dms.relay else "without the DM relay"
            lines.append(f"  DMs to Tend open support cases here, {relay}")
            if guild.dms.relay and not bot.message_content_intent:
                lines.append(
                    "  note: bot.message_content_intent is false, so moderators mention Tend in the "
                    "messages the relay should pass on"
                )
    return lines
