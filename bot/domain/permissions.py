"""Who may do what. Tend checks roles itself: Discord's default permissions are only a hint."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.config import GuildConfig


def is_moderator(guild: GuildConfig, role_ids: Iterable[int], *, is_guild_owner: bool = False) -> bool:
    """A moderator holds one of the configured moderator roles; the server owner always counts."""
    return is_guild_owner or not set(guild.moderator_roles).isdisjoint(role_ids)
